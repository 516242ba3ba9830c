import Foundation
import Testing

@testable import keda_kafka_scaler

@Suite("registry list: the GET /registry listing as a table")
struct RegistryListingTests {
    private func listing() throws -> RegistryListing {
        let url = try #require(Bundle.module.url(forResource: "registry", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(RegistryListing.self, from: Data(contentsOf: url))
    }

    @Test("one aligned row per entry with pin, pending source, state, last evaluation and connection")
    func table() throws {
        let lines = try listing().table()
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true) == [
                "KEY", "PINNED", "PENDING", "STATE", "LAST", "LAG/METRIC", "CONNECTION",
            ])
        let shop = try #require(lines.first { $0.hasPrefix("shop/orders-processor ") })
        #expect(shop.contains("v2 9f1c2b3a4d5e6f70 orders-consumers/orders"))
        #expect(shop.contains("ready"))
        #expect(shop.contains("lag 20 / metric 15 active"))
        #expect(shop.contains("2371b0bf972ff95f (open)"))
        let billing = try #require(lines.first { $0.hasPrefix("billing/payments#primary ") })
        #expect(billing.contains("payments/*"))
        #expect(billing.contains("0a1b2c3d4e5f6071 since 2026-11-27T05:01:00Z"))
        #expect(billing.contains("failing"))
        let errorLine = try #require(lines.firstIndex { $0.contains("last error: brokers unreachable") })
        #expect(lines[errorLine - 1].hasPrefix("billing/payments#primary"))
        let shopRow = try #require(lines.firstIndex(of: shop))
        #expect(
            lines[shopRow + 1] == "    rollout to v3 aa11bb22cc33dd44: held, 0 of 3 observations, 2 failed reads; candidate -, "
                + "pinned v2 lag 20 / metric 15 active; candidate error: brokers unreachable: 127.0.0.1:9094")
        // Columns line up: every row's STATE starts where the header's does.
        let stateColumn = try #require(lines[0].range(of: "STATE")).lowerBound.utf16Offset(in: lines[0])
        #expect(shop.dropFirst(stateColumn).hasPrefix("ready"))
        #expect(lines.last == "connections: 2371b0bf972ff95f 127.0.0.1:9092 open, 2 entries")
    }

    @Test("an empty registry says so")
    func empty() {
        #expect(RegistryListing(entries: [], connections: []).table() == ["no registry entries (none admitted yet)"])
    }
}
