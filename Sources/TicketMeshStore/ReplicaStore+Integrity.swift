import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// A fork seen here: a block refused because another block holds its place in the origin's chain.
package struct ForkRecord: Hashable, Sendable, Codable {
    package var origin: String
    package var firstSeq: Int64
    package var lastSeq: Int64
    /// The refused block's hash (hex).
    package var refused: String
    /// The hash of the block kept at that place (hex).
    package var kept: String
    /// When this site saw it (ms since 1970).
    package var detectedAt: Int64
    /// For this site's own origin: `pending` (to re-issue), `reissued`; otherwise `proof`.
    package var state: String
}

/// What `audit --verify` found: the first broken link of each origin's chain, and derived state
/// that does not follow from the log.
package struct IntegrityReport: Hashable, Sendable, Codable {
    package struct Problem: Hashable, Sendable, Codable {
        /// `chain`, `signature`, `register` or `queryTable`.
        package var kind: String
        package var origin: String?
        package var seq: Int64?
        package var message: String
    }

    package var blocks: Int
    package var changes: Int
    package var origins: Int
    package var problems: [Problem]
    package var isIntact: Bool { problems.isEmpty }
}

extension ReplicaStore {
    /// The forks seen here, newest first.
    package func forks() async throws -> [ForkRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT origin, firstSeq, lastSeq, hash, keptHash, detectedAt, reissue FROM forkBlock ORDER BY detectedAt DESC, origin, firstSeq"
            ).map { row in
                let origin: String = row[0]
                let reissue: Int = row[6]
                return ForkRecord(
                    origin: origin, firstSeq: row[1], lastSeq: row[2],
                    refused: BlockHash(unchecked: [UInt8](row[3] as Data)).hex, kept: BlockHash(unchecked: [UInt8](row[4] as Data)).hex,
                    detectedAt: row[5],
                    state: origin != self.site.rawValue ? "proof" : reissue == 1 ? "pending" : "reissued")
            }
        }
    }

    /// Signs this site's own blocks held unsigned (made before it had a key); returns how many.
    ///
    /// The signature is outside a block's hash, so signing moves nothing in the chain. The first
    /// block carries the certificate so every site learns the key.
    package func signOwnHistory() async throws -> Int {
        guard let signer = configuration.provenance?.signer else {
            throw StoreError(code: .notInitialized, message: "this replica has no identity: run 'ticketmesh site enroll --tls DIR'")
        }
        return try await writer.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT lastSeq, hash FROM block WHERE origin = ? AND length(signature) = 0 ORDER BY lastSeq",
                arguments: [self.site.rawValue])
            let known = try BlockGate.chainCarries(certificate: signer.certificate, origin: self.site, in: db)
            let first = try Int64.fetchOne(db, sql: "SELECT MIN(lastSeq) FROM block WHERE origin = ?", arguments: [self.site.rawValue])
            for row in rows {
                let hash = BlockHash(unchecked: [UInt8](row[1] as Data))
                try db.execute(
                    sql: "UPDATE block SET signature = ? WHERE origin = ? AND lastSeq = ?",
                    arguments: [Data(try signer.sign(hash)), self.site.rawValue, row[0] as Int64])
            }
            if !known, let first {
                try db.execute(
                    sql: "UPDATE block SET certificate = ? WHERE origin = ? AND lastSeq = ?",
                    arguments: [Data(signer.certificate), self.site.rawValue, first])
                try BlockGate.addSigner(origin: self.site, key: try self.ownCertifiedKey(), certificate: signer.certificate, at: self.configuration.now(), in: db)
            }
            // A branch site's own history is judged as its peers will judge it: organisation records
            // it wrote as a lone replica are not merged by anyone, so not here either.
            if try !self.ownCertifiedKey().admin {
                let own = try Row.fetchAll(
                    db, sql: "SELECT \(ChangeLog.columns) FROM change WHERE origin = ? AND entity IN (\(SiteRights.adminEntities.map { "'\($0)'" }.joined(separator: ",")))",
                    arguments: [self.site.rawValue]
                ).map(ChangeLog.change(from:))
                if !own.isEmpty {
                    try SiteRights.deny(own, reason: "branch site", in: db)
                    try self.rebuildDerived(in: db)
                }
            }
            return rows.count
        }
    }

    /// Re-stamps this site's own blocks stamped more than the skew bound ahead of the wall clock
    /// (written while its clock ran fast), so peers accept them; returns how many changes moved.
    ///
    /// Run once the clock is right. The blocks are taken off the chain and their edits written
    /// again with the current clock, same values, actors and bases, new seqs. A peer that had
    /// accepted the old blocks sees a fork and keeps the re-stamped ones (they are earlier).
    package func restamp() async throws -> Int {
        try await writer.write { db in
            let wall = self.configuration.now()
            let limit = wall + self.configuration.maxDrift
            guard
                let from = try Int64.fetchOne(
                    db, sql: "SELECT MIN(firstSeq) FROM block WHERE origin = ? AND hlcPhysical > ?", arguments: [self.site.rawValue, limit])
            else { return 0 }
            let head = try BlockGate.head(origin: self.site, in: db) ?? ChainHead(seq: 0, hash: .zero)
            let removed = try BlockGate.truncate(origin: self.site, from: from, kept: head.hash, reissue: false, at: wall, in: db).proofs
            // The clock forgets the future: the greatest HLC still held, or the wall clock.
            let kept = try Row.fetchOne(
                db, sql: "SELECT hlcPhysical, hlcLogical FROM change ORDER BY hlcPhysical DESC, hlcLogical DESC LIMIT 1")
            let last = kept.map { HLC(physical: $0[0], logical: UInt32(clamping: $0[1] as Int64)) } ?? .zero
            try self.saveClock(HybridLogicalClock(last: HLC(physical: min(last.physical, wall), logical: last.logical)), db)
            try db.execute(sql: "DELETE FROM forkBlock WHERE origin = ? AND firstSeq >= ?", arguments: [self.site.rawValue, from])
            try ChangeLog.setVector(origin: self.site, seq: from - 1, in: db)
            try self.rebuildDerived(in: db)
            var moved = 0
            var renamed: [Version: Version] = [:]
            for block in removed {
                // One transaction's edits stay together; bases that named a re-stamped write name its new stamp.
                var (clock, seq) = try self.loadClockAndSeq(db)
                var changes: [Change] = []
                for old in block.changes where old.scrubbed == nil {
                    seq += 1
                    var change = old
                    change.seq = seq
                    change.hlc = clock.tick(wall: wall)
                    if let base = old.base, let mapped = renamed[base] { change.base = mapped }
                    renamed[old.version] = change.version
                    changes.append(change)
                }
                try self.appendLocal(changes, in: db)
                moved += changes.count
            }
            return moved
        }
    }

    /// A consistent copy of the replica in `directory` (SQLite's online backup; safe while serving).
    package func backup(to directory: URL) async throws {
        let path = directory.appendingPathComponent("replica.sqlite").path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(code: .alreadyInitialized, message: "'\(directory.path)' already holds a replica: back up into an empty directory")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(code: .unusableDirectory, message: "cannot create backup directory '\(directory.path)': \(error.localizedDescription)")
        }
        let target = try DatabaseQueue(path: path)
        try writer.backup(to: target)
        try target.close()
    }

    /// An in-memory copy of this replica as it is now, opened with the same configuration: what a
    /// backup restored later looks like (tests of restores and forks).
    package func snapshot() throws -> ReplicaStore {
        let copy = try DatabaseQueue()
        try writer.backup(to: copy)
        return try ReplicaStore(writer: copy, configuration: configuration)
    }

    /// Walks every origin's chain and checks the derived tables against the log (`audit --verify`).
    ///
    /// Per origin it reports the first broken link: a block whose changes no longer hash to it, whose
    /// hash or previous-hash link is wrong, or whose signature fails. Then every register must be a
    /// write the log holds, and every query-table column its register's value.
    package func verifyIntegrity() async throws -> IntegrityReport {
        try await writer.read { db in
            var problems: [IntegrityReport.Problem] = []
            var blockCount = 0
            let origins = try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM block ORDER BY origin")
            for originText in origins {
                let origin = SiteCode(trusted: originText)
                var previous = BlockHash.zero
                var expected: Int64 = 1
                let keys =
                    origin == self.site
                    ? (self.configuration.provenance.map { [$0.signer.publicKey] } ?? []) + (try SiteRights.signers(origin: origin, in: db).map(\.key))
                    : try SiteRights.signers(origin: origin, in: db).map(\.key)
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(BlockGate.heldColumns) FROM block WHERE origin = ? ORDER BY lastSeq", arguments: [originText])
                for row in rows {
                    blockCount += 1
                    let held = BlockGate.held(from: row)
                    func broken(_ message: String, kind: String = "chain") {
                        problems.append(.init(kind: kind, origin: originText, seq: held.firstSeq, message: message))
                    }
                    guard held.firstSeq == expected, held.previous == previous else {
                        broken("block \(originText):\(held.firstSeq)-\(held.lastSeq) does not link to the block before it")
                        break
                    }
                    let rebuilt: Block
                    do {
                        rebuilt = try BlockGate.load(held, in: db)
                    } catch {
                        broken("block \(originText):\(held.firstSeq)-\(held.lastSeq): its changes are missing or malformed (\(error))")
                        break
                    }
                    guard rebuilt.changes.count == Int(held.lastSeq - held.firstSeq + 1) else {
                        broken("block \(originText):\(held.firstSeq)-\(held.lastSeq): the log holds \(rebuilt.changes.count) of its changes")
                        break
                    }
                    guard rebuilt.hash == held.hash else {
                        broken(
                            "block \(originText):\(held.firstSeq)-\(held.lastSeq): its changes no longer hash to the block (a value was altered in the log)")
                        break
                    }
                    // Unchecked blocks are proven by the chain up to the next checked one (`Block.checked`).
                    if held.checked && (!held.signature.isEmpty || self.configuration.provenance != nil) {
                        if !keys.contains(where: { rebuilt.isSigned(by: $0) }) {
                            broken(
                                held.signature.isEmpty
                                    ? "block \(originText):\(held.firstSeq)-\(held.lastSeq) is unsigned"
                                    : "block \(originText):\(held.firstSeq)-\(held.lastSeq): the signature of \(originText) does not verify",
                                kind: "signature")
                            break
                        }
                    }
                    previous = held.hash
                    expected = held.lastSeq + 1
                }
                let stray = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM change WHERE origin = ? AND seq >= ?", arguments: [originText, expected]) ?? 0
                if stray > 0, problems.last?.origin != originText {
                    problems.append(
                        .init(kind: "chain", origin: originText, seq: expected, message: "\(stray) changes of \(originText) from seq \(expected) belong to no block"))
                }
            }
            let unbacked = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.entity, r.rowId, r.field FROM register r
                    WHERE NOT EXISTS (SELECT 1 FROM change c WHERE c.rowId = r.rowId AND c.entity = r.entity AND c.field = r.field
                      AND c.origin = r.site AND c.hlcPhysical = r.hlcPhysical AND c.hlcLogical = r.hlcLogical AND c.value IS r.value
                      AND NOT EXISTS (SELECT 1 FROM deniedChange d WHERE d.origin = c.origin AND d.seq = c.seq))
                    LIMIT 20
                    """)
            for row in unbacked {
                let entity: String = row[0]
                let rowID: String = row[1]
                let field: String = row[2]
                problems.append(
                    .init(kind: "register", origin: nil, seq: nil, message: "register \(entity)/\(rowID)/\(field) holds a value no change in the log wrote"))
            }
            for table in MaterializedView.tables {
                for column in table.columns.sorted() {
                    let mismatch = try Row.fetchAll(
                        db,
                        sql: """
                            SELECT t.id FROM \(table.name) t LEFT JOIN register r ON r.entity = ? AND r.rowId = t.id AND r.field = ?
                            WHERE t.\(column) IS NOT r.value LIMIT 5
                            """,
                        arguments: [table.name, column])
                    for row in mismatch {
                        let id: String = row[0]
                        problems.append(
                            .init(
                                kind: "queryTable", origin: nil, seq: nil,
                                message: "\(table.name) \(id): column \(column) differs from its register"))
                    }
                }
            }
            let changeCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change") ?? 0
            return IntegrityReport(blocks: blockCount, changes: changeCount, origins: origins.count, problems: problems)
        }
    }
}
