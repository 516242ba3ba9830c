import Foundation
import KafkaLag

/// The demo's moving workload as a pure state machine: a producer whose rate swings
/// between about 40 and 160 messages/s and a consumer group whose commit rate swings
/// the same way a quarter period later, so lag rises, falls back to zero, and rises
/// again every 40 s. Partitions get unequal shares of the traffic, so their lags differ.
/// ``step(at:interval:)`` returns what to produce and commit; the caller does the I/O.
struct DemoTraffic: Sendable {
    /// What one step asks of the cluster.
    struct Step: Sendable, Hashable {
        /// Messages to append per partition.
        var produce: [TopicPartition: Int]
        /// New committed offsets of the group (only partitions that moved).
        var commit: [TopicPartition: Int64]
    }

    /// Seconds per swing of the rates.
    static let period = 40.0

    let topic: String
    private let weights: [Double]
    private(set) var endOffsets: [Int64]
    private(set) var committed: [Int64]
    private var produceCarry: [Double]
    private var consumeCarry: [Double]
    private var started = false

    init(topic: String, partitions: Int) {
        self.topic = topic
        let raw = (0..<partitions).map { 1 + 0.5 * Double($0 % 3) }
        let sum = raw.reduce(0, +)
        weights = raw.map { $0 / sum }
        endOffsets = Array(repeating: 0, count: partitions)
        committed = Array(repeating: 0, count: partitions)
        produceCarry = Array(repeating: 0, count: partitions)
        consumeCarry = Array(repeating: 0, count: partitions)
    }

    /// Messages per second the producer writes at `seconds` into the demo.
    static func produceRate(at seconds: Double) -> Double {
        100 + 60 * cos(2 * Double.pi * seconds / period)
    }

    /// Messages per second the consumer group can process at `seconds` into the demo.
    static func consumeRate(at seconds: Double) -> Double {
        100 + 60 * sin(2 * Double.pi * seconds / period)
    }

    /// Advances by `interval` seconds ending at `seconds`. The first step commits
    /// offset 0 everywhere, so the group exists with no lag before traffic starts.
    mutating func step(at seconds: Double, interval: Double) -> Step {
        var step = Step(produce: [:], commit: [:])
        let partitions = endOffsets.indices
        if !started {
            started = true
            for partition in partitions { step.commit[TopicPartition(topic: topic, partition: Int32(partition))] = 0 }
        }
        let produced = Self.produceRate(at: seconds) * interval
        let capacity = Self.consumeRate(at: seconds) * interval / Double(endOffsets.count)
        for partition in partitions {
            let key = TopicPartition(topic: topic, partition: Int32(partition))
            produceCarry[partition] += produced * weights[partition]
            let count = Int(produceCarry[partition])
            produceCarry[partition] -= Double(count)
            if count > 0 {
                step.produce[key] = count
                endOffsets[partition] += Int64(count)
            }
            consumeCarry[partition] += capacity
            let processed = min(Int64(consumeCarry[partition]), endOffsets[partition] - committed[partition])
            consumeCarry[partition] = min(consumeCarry[partition] - Double(processed), 1)
            if processed > 0 {
                committed[partition] += processed
                step.commit[key] = committed[partition]
            }
        }
        return step
    }
}
