import GRDB
import PropertyBased
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R11.3: replicas that have seen the same changes hold the same data, whatever the delivery order,
/// duplication or partial delivery. Random schedules over 3–5 in-memory replicas.
@Suite struct ConvergenceTests {
    static let fields = ["summary", "urgency", "state", "assignee"]
    static let rows = ["t1", "t2", "t3"]

    /// One random run; returns nothing, asserts as it goes.
    static func run(seed: UInt64, replicaCount: Int, operations: Int) async throws {
        var rng = SeededGenerator(seed: seed)
        let clocks = (0..<replicaCount).map { _ in ManualClock(1_795_000_000_000 + Int64.random(in: 0...5_000, using: &rng)) }
        let codes = ["AA", "BB", "CC", "DD", "EE"]
        let replicas = try (0..<replicaCount).map {
            try ReplicaStore.inMemory(site: SiteCode(trusted: codes[$0]), configuration: clocks[$0].configuration)
        }
        var written: [Change] = []
        var noteIDs: Set<String> = []

        for _ in 0..<operations {
            let index = Int.random(in: 0..<replicaCount, using: &rng)
            // Wall clocks drift, jump and sometimes go backwards.
            clocks[index].advance(Int64.random(in: -50...200, using: &rng))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let row = rows.randomElement(using: &rng)!
                let field = fields.randomElement(using: &rng)!
                let value = FieldValue.text("\(codes[index])-\(Int.random(in: 0..<1000, using: &rng))")
                written += try await replicas[index].commit([FieldEdit(entity: "ticket", rowID: row, field: field, value: value)])
            case 5..<7:
                let id = "n-\(codes[index])-\(noteIDs.count)"
                noteIDs.insert(id)
                written += try await replicas[index].commit([
                    FieldEdit(entity: "entry", rowID: id, field: "ticketId", value: .text(rows.randomElement(using: &rng)!)),
                    FieldEdit(entity: "entry", rowID: id, field: "kind", value: .text("note")),
                    FieldEdit(entity: "entry", rowID: id, field: "body", value: .text("已联系快递 \(id)")),
                    FieldEdit(entity: "entry", rowID: id, field: "at", value: .int(clocks[index].now)),
                ])
            default:
                // Partial, shuffled, duplicated delivery between two replicas, in random batches.
                let target = Int.random(in: 0..<replicaCount, using: &rng)
                guard target != index else { continue }
                var pending = try await replicas[index].changes(after: VersionVector(), cursor: nil, limit: Int.max)
                pending.shuffle(using: &rng)
                pending = Array(pending.prefix(Int.random(in: 0...pending.count, using: &rng)))
                pending += pending.prefix(Int.random(in: 0...3, using: &rng))
                while !pending.isEmpty {
                    let size = Int.random(in: 1...max(1, pending.count), using: &rng)
                    _ = try await replicas[target].apply(Array(pending.prefix(size)))
                    pending.removeFirst(size)
                }
            }
        }

        // Full exchange: two rounds of everyone-to-everyone reaches every replica with every change.
        for _ in 0..<2 {
            for from in replicas { for to in replicas where to !== from { try await deliverAll(from: from, to: to) } }
        }

        let digests = try await replicas.asyncMap { try await $0.digest() }
        #expect(Set(digests).count == 1, "digests differ after full exchange (seed \(seed))")
        let vectors = try await replicas.asyncMap { try await $0.vector() }
        #expect(Set(vectors).count == 1, "vectors differ (seed \(seed))")

        // Each field holds the (HLC, site)-greatest write made anywhere.
        var expected: [String: Change] = [:]
        for change in written where change.entity == "ticket" {
            let key = "\(change.rowID)/\(change.field)"
            if expected[key].map({ $0.version < change.version }) ?? true { expected[key] = change }
        }
        for replica in replicas {
            for (key, change) in expected {
                let value = try await replica.writer.read { db in
                    try String.fetchOne(db, sql: "SELECT \(change.field) FROM ticket WHERE id = ?", arguments: [change.rowID])
                }
                #expect(value == change.value.text, "\(key) on \(replica.site) (seed \(seed))")
            }
            // Every note present exactly once.
            for row in rows {
                let entries = try await replica.entries(ticketID: row)
                #expect(Set(entries.map(\.id)).count == entries.count)
            }
            let noteCount = try await replica.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry")! }
            #expect(noteCount == noteIDs.count)
            let logCount = try await replica.changeCount()
            #expect(logCount == written.count, "every change is in every log once")
        }

        // The same conflicts on every replica.
        let conflictSets = try await replicas.asyncMap { try await $0.conflicts().map(\.id) }
        #expect(Set(conflictSets).count == 1)

        // Rebuilding the query tables from the log gives the same bytes.
        let before = try await replicas[0].queryTablesDump()
        try await replicas[0].rebuildFromLog()
        #expect(try await replicas[0].digest() == digests[0])
        #expect(try await replicas[0].queryTablesDump() == before)
    }

    @Test func randomSchedulesConverge() async {
        let input = zip(Gen.uint64(), Gen.int(in: 3...5), Gen.int(in: 5...40))
        await propertyCheck(count: 200, input: input) { seed, replicas, operations in
            do {
                try await Self.run(seed: seed, replicaCount: replicas, operations: operations)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
