/// How lag becomes a metric and an activity decision (DESIGN.md §4). Unlike the
/// ``Source`` these apply from the request that carries them, so a changed
/// `lagThreshold` takes effect at once without touching the connection.
public struct ScalingParameters: Hashable, Sendable {
    /// Target lag per replica; KEDA requires it to be > 0.
    public var lagThreshold: Int64
    /// Activity needs total lag (persistent lag included) strictly above this.
    public var activationLagThreshold: Int64
    /// What a partition without a committed offset counts as.
    public var offsetResetPolicy: OffsetResetPolicy
    /// Lets the metric ask for more replicas than there are partitions.
    public var allowIdleConsumers: Bool
    /// Counts a partition whose committed offset did not move since the last
    /// observation as lag 0 for the metric (but not for activity).
    public var excludePersistentLag: Bool
    /// Partitions without a committed offset count as lag 0 instead of 1 (or the log end).
    public var scaleToZeroOnInvalidOffset: Bool
    /// Caps the metric at the number of partitions that have lag.
    public var limitToPartitionsWithLag: Bool
    /// Rounds the metric up to a divisor of the partition count times `lagThreshold`.
    public var ensureEvenDistributionOfPartitions: Bool
    /// Only these partition IDs count; `nil` means every partition.
    public var partitionLimitation: [Int32]?

    /// KEDA's defaults: threshold 10, activation 0, `latest`, every flag off, no limitation.
    public static var defaults: Self {
        Self(
            lagThreshold: 10, activationLagThreshold: 0, offsetResetPolicy: .latest,
            allowIdleConsumers: false, excludePersistentLag: false, scaleToZeroOnInvalidOffset: false,
            limitToPartitionsWithLag: false, ensureEvenDistributionOfPartitions: false, partitionLimitation: nil
        )
    }

    public init(
        lagThreshold: Int64, activationLagThreshold: Int64, offsetResetPolicy: OffsetResetPolicy,
        allowIdleConsumers: Bool, excludePersistentLag: Bool, scaleToZeroOnInvalidOffset: Bool,
        limitToPartitionsWithLag: Bool, ensureEvenDistributionOfPartitions: Bool, partitionLimitation: [Int32]?
    ) {
        self.lagThreshold = lagThreshold
        self.activationLagThreshold = activationLagThreshold
        self.offsetResetPolicy = offsetResetPolicy
        self.allowIdleConsumers = allowIdleConsumers
        self.excludePersistentLag = excludePersistentLag
        self.scaleToZeroOnInvalidOffset = scaleToZeroOnInvalidOffset
        self.limitToPartitionsWithLag = limitToPartitionsWithLag
        self.ensureEvenDistributionOfPartitions = ensureEvenDistributionOfPartitions
        self.partitionLimitation = partitionLimitation
    }
}

/// The `offsetResetPolicy` key. A struct over the raw text rather than an enum
/// because KEDA's enum check accepts comma lists (`latest,earliest`) and stores
/// them verbatim; such a value then matches neither policy in the lag rules.
public struct OffsetResetPolicy: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The value as given (trimmed), comma lists included.
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// No committed offset counts as lag 1 (0 with `scaleToZeroOnInvalidOffset`).
    public static let latest = Self(rawValue: "latest")
    /// No committed offset counts as the whole log (0 with `scaleToZeroOnInvalidOffset`).
    public static let earliest = Self(rawValue: "earliest")

    public var description: String { rawValue }
}
