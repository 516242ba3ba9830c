import Testing
@testable import KafkaScaler

@Suite("Process hardening: serve makes itself non-dumpable")
struct ProcessHardeningTests {
    @Test("disableCoreDumps clears the dumpable flag")
    func nonDumpable() throws {
        try ProcessHardening.disableCoreDumps()
        #expect(!ProcessHardening.isDumpable)
    }
}
