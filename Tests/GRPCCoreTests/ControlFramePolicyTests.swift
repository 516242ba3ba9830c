import Testing

import GRPCCore

@Suite("PING and SETTINGS policy")
struct ControlFramePolicyTests {
    private static let second: UInt64 = 1_000_000_000

    @Test("Three PINGs closer than the interval are tolerated, the fourth is too many")
    func pingStrikes() {
        var policy = ControlFramePolicy(limits: .defaults, now: 0)
        #expect(policy.receivePing(now: 1 * Self.second) == nil)
        #expect(policy.receivePing(now: 2 * Self.second) == nil)
        #expect(policy.receivePing(now: 3 * Self.second) == nil)
        #expect(policy.receivePing(now: 4 * Self.second) == .tooManyPings)
    }

    @Test("PINGs at least the interval apart are never strikes")
    func spacedPings() {
        var policy = ControlFramePolicy(limits: .defaults, now: 0)
        for minute in stride(from: UInt64(0), through: 60, by: 5) {
            #expect(policy.receivePing(now: minute * 60 * Self.second) == nil)
        }
    }

    @Test("A response sent between PINGs clears the strikes (BDP and keepalive PINGs around calls)")
    func responsesClearStrikes() {
        var policy = ControlFramePolicy(limits: .defaults, now: 0)
        for tick in UInt64(1)...100 {
            #expect(policy.receivePing(now: tick * Self.second) == nil)
            policy.didSendResponseFrames()
        }
    }

    @Test("SETTINGS: the burst passes, the next one in the same instant is refused, time refills it")
    func settingsRate() {
        var limits = ControlFramePolicy.Limits.defaults
        limits.settingsBurst = 5
        limits.settingsPerSecond = 10
        var policy = ControlFramePolicy(limits: limits, now: 0)
        for _ in 0..<5 { #expect(policy.receiveSettings(now: 0) == nil) }
        #expect(policy.receiveSettings(now: 0) == .tooManySettings)
        #expect(policy.receiveSettings(now: Self.second / 10) == nil)
        #expect(policy.receiveSettings(now: Self.second / 10) == .tooManySettings)
        for _ in 0..<5 { #expect(policy.receiveSettings(now: 10 * Self.second) == nil) }
        #expect(policy.receiveSettings(now: 10 * Self.second) == .tooManySettings)
    }

    @Test(
        "The violation names are gRPC's GOAWAY debug data",
        arguments: [
            (ControlFramePolicy.Violation.tooManyPings, "too_many_pings"), (.tooManySettings, "too_many_settings"),
        ])
    func debugData(violation: ControlFramePolicy.Violation, text: String) {
        #expect(violation.rawValue == text)
    }
}
