import Foundation
import KafkaLag
import TimeUnits

/// The demo's moving workload as a pure state machine: a producer whose rate swings
/// between 40 and 160 messages/s and a consumer group whose processing rate swings
/// the same way a quarter period later, so lag rises for 20 s, drains back to zero
/// for 20 s, and rises again. Partitions get unequal shares of the traffic, so their lags differ.
/// ``step(at:interval:)`` returns what to produce and commit; the caller does the I/O.
public struct DemoTraffic: Sendable {
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
    private var consumeCarry = 0.0
    private var started = false

    init(topic: String, partitions: Int) {
        self.topic = topic
        let raw = (0..<partitions).map { 1 + 0.5 * Double($0 % 3) }
        let sum = raw.reduce(0, +)
        weights = raw.map { $0 / sum }
        endOffsets = Array(repeating: 0, count: partitions)
        committed = Array(repeating: 0, count: partitions)
        produceCarry = Array(repeating: 0, count: partitions)
    }

    /// Messages per second the producer writes at `seconds` into the demo.
    static func produceRate(at seconds: Double) -> Double {
        100 + 60 * cos(angle(seconds))
    }

    /// Messages per second the consumer group can process at `seconds` into the demo.
    static func consumeRate(at seconds: Double) -> Double {
        100 + 60 * sin(angle(seconds))
    }

    /// Both rates `elapsed` into the demo, in messages per second.
    public static func rates(after elapsed: Duration) -> (produce: Double, consume: Double) {
        (produceRate(at: elapsed.inSeconds), consumeRate(at: elapsed.inSeconds))
    }

    /// Starts where the producer begins to outrun the consumers, so lag rises at once:
    /// it grows for half a period, then drains back to zero for the other half.
    private static func angle(_ seconds: Double) -> Double {
        2 * Double.pi * (seconds / period + 5.0 / 8.0)
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
        for partition in partitions {
            produceCarry[partition] += produced * weights[partition]
            let count = Int(produceCarry[partition])
            produceCarry[partition] -= Double(count)
            if count > 0 {
                step.produce[TopicPartition(topic: topic, partition: Int32(partition))] = count
                endOffsets[partition] += Int64(count)
            }
        }
        // The group's consumers share their capacity over the partitions in proportion
        // to lag; capacity left idle is not banked.
        consumeCarry += Self.consumeRate(at: seconds) * interval
        let lags = partitions.map { endOffsets[$0] - committed[$0] }
        let totalLag = lags.reduce(0, +)
        let budget = min(Int64(consumeCarry), totalLag)
        consumeCarry = min(consumeCarry - Double(budget), 1)
        var shares = lags.map { totalLag > 0 ? budget * $0 / totalLag : 0 }
        var rest = budget - shares.reduce(0, +)
        for partition in partitions.sorted(by: { lags[$0] > lags[$1] }) where rest > 0 && shares[partition] < lags[partition] {
            shares[partition] += 1
            rest -= 1
        }
        for partition in partitions where shares[partition] > 0 {
            committed[partition] += shares[partition]
            step.commit[TopicPartition(topic: topic, partition: Int32(partition))] = committed[partition]
        }
        return step
    }
}
