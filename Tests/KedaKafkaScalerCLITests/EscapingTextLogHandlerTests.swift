import Testing
@testable import keda_kafka_scaler

@Suite("Text log format: caller strings cannot forge log lines")
struct EscapingTextLogHandlerTests {
    @Test(
        "control characters are escaped, everything else is kept",
        arguments: [
            ("plain text, ünïcödé ✓", "plain text, ünïcödé ✓"),
            ("a\nb\rc\td", "a\\nb\\rc\\td"),
            ("bell\u{07} esc\u{1B}[31m del\u{7F} c1\u{85}", "bell\\u{7} esc\\u{1B}[31m del\\u{7F} c1\\u{85}"),
            ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
            ("ns\n2026-12-03T00:00:00+0000 critical keda-kafka-scaler : forged", "ns\\n2026-12-03T00:00:00+0000 critical keda-kafka-scaler : forged"),
        ])
    func escaping(input: String, expected: String) {
        #expect(EscapingTextLogHandler.escaped(input) == expected)
    }
}
