import Foundation
import Synchronization
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// A wall clock the test moves by hand; may go backwards.
final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ start: Int64 = 1_795_000_000_000) { millis = Mutex(start) }

    var now: Int64 { millis.withLock { $0 } }
    func advance(_ delta: Int64) { millis.withLock { $0 += delta } }
    func set(_ value: Int64) { millis.withLock { $0 = value } }

    var configuration: ReplicaStore.Configuration {
        ReplicaStore.Configuration(now: { self.now }, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    }
}

/// SplitMix64: a small seeded generator so a failing schedule can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sends `to` everything `from` has that `to`'s vector does not cover, in one batch.
@discardableResult
func deliverAll(from: ReplicaStore, to: ReplicaStore) async throws -> ApplyReport {
    let missing = try await from.changes(after: try await to.vector(), cursor: nil, limit: Int.max)
    return try await to.apply(missing)
}

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tm-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
