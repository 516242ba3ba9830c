import Foundation
import FuzzSupport
import KafkaLag
import ScalerRegistry

/// Random auth-profile directories: the input's fields (split at NUL) are a profile
/// name, then file name and content pairs, written as a mounted Secret would be (mode
/// 0400) under a scratch root; the profile is then loaded and used by a trigger.
let root = FileManager.default.temporaryDirectory.appendingPathComponent("kks-fuzz-profiles-\(getpid())")
let resolver = TriggerResolver(directory: AuthProfileDirectory(root: root.path))

/// A name the scratch root can hold: no separators, not `.` or `..`, not too long.
func plainName(_ text: String) -> String? {
    guard !text.isEmpty, text.utf8.count <= 200, !text.contains("/"), !text.contains("\0"), text != ".", text != ".." else { return nil }
    return text
}

runFuzzer { data, size in
    let fields = fuzzFields(fuzzInput(data, size))
    guard let name = fields.first.flatMap(plainName) else { return 0 }
    try? FileManager.default.removeItem(at: root)
    let directory = root.appendingPathComponent(name, isDirectory: true)
    guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return 0 }
    for index in stride(from: 1, to: fields.count - 1, by: 2) {
        guard let file = plainName(fields[index]) else { continue }
        let path = directory.appendingPathComponent(file).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(fields[index + 1].utf8), attributes: [.posixPermissions: 0o400])
    }
    _ = try? AuthProfileDirectory(root: root.path).profile(named: name)
    _ = try? resolver.trigger(
        for: ["authProfile": name, "bootstrapServers": "kafka:9092", "consumerGroup": "g", "topic": "t"], namespace: "fuzz"
    )
    return 0
}
