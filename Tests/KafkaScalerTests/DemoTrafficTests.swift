import KafkaLag
import Testing

@testable import KafkaScaler

@Suite("The demo's drifting workload")
struct DemoTrafficTests {
    /// Runs the traffic for `seconds` in steps of `interval`, returning the total lag after each step.
    private func simulate(seconds: Double, interval: Double = 0.25) -> (traffic: DemoTraffic, lags: [Int64], steps: [DemoTraffic.Step]) {
        var traffic = DemoTraffic(topic: "orders", partitions: 6)
        var lags: [Int64] = []
        var steps: [DemoTraffic.Step] = []
        var now = 0.0
        while now < seconds {
            now += interval
            steps.append(traffic.step(at: now, interval: interval))
            lags.append(zip(traffic.endOffsets, traffic.committed).map { $0 - $1 }.reduce(0, +))
        }
        return (traffic, lags, steps)
    }

    @Test("the first step commits offset 0 on every partition")
    func initialCommit() {
        var traffic = DemoTraffic(topic: "orders", partitions: 6)
        let step = traffic.step(at: 0.25, interval: 0.25)
        #expect(step.commit.count == 6)
        #expect(step.commit.keys.allSatisfy { $0.topic == "orders" })
    }

    @Test("lag rises for half a period, drains to zero, and rises again")
    func lagSwings() {
        let steps = Int(DemoTraffic.period / 0.25)
        let (_, lags, _) = simulate(seconds: DemoTraffic.period * 2)
        let half = steps / 2
        #expect(lags[3] > 0)
        #expect(lags[half - 1] > 800)
        #expect(lags[0..<half].max()! <= lags[half - 1] + 10)
        #expect(lags[half..<steps].min()! < 20)
        #expect(lags[steps + half - 1] > 800)
    }

    @Test("commits never pass the end offsets, and what a step produces matches the end offsets")
    func consistent() {
        let (traffic, _, steps) = simulate(seconds: 30)
        #expect(zip(traffic.endOffsets, traffic.committed).allSatisfy { $1 <= $0 && $1 >= 0 })
        for partition in 0..<6 {
            let produced = steps.compactMap { $0.produce[TopicPartition(topic: "orders", partition: Int32(partition))] }.reduce(0, +)
            #expect(Int64(produced) == traffic.endOffsets[partition])
        }
        // Partitions get unequal shares, so their end offsets differ.
        #expect(Set(traffic.endOffsets).count > 1)
    }
}
