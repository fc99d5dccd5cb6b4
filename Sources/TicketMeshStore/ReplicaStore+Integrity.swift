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
                let keys =
                    origin == self.site
                    ? (self.configuration.provenance.map { [$0.signer.publicKey] } ?? []) + (try SiteRights.signers(origin: origin, in: db).map(\.key))
                    : try SiteRights.signers(origin: origin, in: db).map(\.key)
                let broken = try BlockGate.walk(origin: origin, in: db) { held, block in
                    blockCount += 1
                    // Unchecked blocks are proven by the chain up to the next checked one (`Block.checked`).
                    guard held.checked && (!held.signature.isEmpty || self.configuration.provenance != nil),
                        !keys.contains(where: { block.isSigned(by: $0) })
                    else { return nil }
                    return held.signature.isEmpty
                        ? "block \(block.label) is unsigned"
                        : "block \(block.label): the signature of \(originText) does not verify"
                }
                if let broken {
                    problems.append(
                        .init(kind: broken.byVisit ? "signature" : "chain", origin: originText, seq: broken.seq, message: broken.message))
                }
            }
            problems += try Integrity.derivedProblems(in: db, limit: 20)
            let changeCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change") ?? 0
            return IntegrityReport(blocks: blockCount, changes: changeCount, origins: origins.count, problems: problems)
        }
    }
}

/// Checks of the derived tables against the log, shared by `audit --verify` and snapshot bootstrap.
enum Integrity {
    /// Derived state that does not follow from the log: a register no change wrote, a field whose
    /// register is not its greatest write (or is missing), a purge not backed by a tombstone or not
    /// carried out, a query-table row or column that differs from the registers. At most `limit` per kind.
    static func derivedProblems(in db: Database, limit: Int) throws -> [IntegrityReport.Problem] {
        var problems: [IntegrityReport.Problem] = []
        func add(_ kind: String, _ message: String) { problems.append(.init(kind: kind, origin: nil, seq: nil, message: message)) }
        let notDenied = "NOT EXISTS (SELECT 1 FROM deniedChange d WHERE d.origin = c.origin AND d.seq = c.seq)"
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT r.entity, r.rowId, r.field FROM register r
                WHERE NOT EXISTS (SELECT 1 FROM change c WHERE c.rowId = r.rowId AND c.entity = r.entity AND c.field = r.field
                  AND c.origin = r.site AND c.hlcPhysical = r.hlcPhysical AND c.hlcLogical = r.hlcLogical AND c.value IS r.value
                  AND \(notDenied))
                LIMIT ?
                """, arguments: [limit])
        {
            add("register", "register \(row[0] as String)/\(row[1] as String)/\(row[2] as String) holds a value no change in the log wrote")
        }
        // Every merged write is in its register or beaten by it (a purged row's content stays out).
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT c.entity, c.rowId, c.field, c.origin, c.seq, r.entity IS NULL FROM change c
                LEFT JOIN register r ON r.entity = c.entity AND r.rowId = c.rowId AND r.field = c.field
                WHERE c.scrubbed IS NULL AND \(notDenied)
                  AND (c.entity = 'tombstone' OR NOT EXISTS (SELECT 1 FROM purgedRow p WHERE p.rowId = c.rowId))
                  AND (r.entity IS NULL
                    OR (c.hlcPhysical, c.hlcLogical, c.origin) > (r.hlcPhysical, r.hlcLogical, r.site)
                    OR ((c.hlcPhysical, c.hlcLogical, c.origin) = (r.hlcPhysical, r.hlcLogical, r.site) AND c.value > r.value))
                LIMIT ?
                """, arguments: [limit])
        {
            let what = "\(row[0] as String)/\(row[1] as String)/\(row[2] as String)"
            add(
                "register",
                (row[5] as Bool)
                    ? "register \(what) is missing: change \(row[3] as String):\(row[4] as Int64) wrote it"
                    : "register \(what) does not hold its greatest write, change \(row[3] as String):\(row[4] as Int64)")
        }
        // Purges (`Purge`): each purged row has a tombstone or belongs to a purged row; each tombstone
        // took effect; nothing purged keeps a register, a live child or content in the log.
        let purgeChecks: [(String, String)] = [
            ("""
            SELECT r.rowId FROM register r WHERE r.entity = 'tombstone' AND r.field = 'purgedAt'
              AND NOT EXISTS (SELECT 1 FROM purgedRow p WHERE p.rowId = r.rowId) LIMIT ?
            """, "has a tombstone but was not purged"),
            ("""
            SELECT p.rowId FROM purgedRow p
            WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.entity = 'tombstone' AND r.rowId = p.rowId AND r.field = 'purgedAt')
              AND NOT EXISTS (SELECT 1 FROM change c WHERE c.rowId = p.rowId
                AND (c.field = 'ticketId' OR (c.entity = 'resolution' AND c.field = 'rowId')) AND c.value IN (SELECT rowId FROM purgedRow))
            LIMIT ?
            """, "is marked purged with no tombstone behind it"),
            ("""
            SELECT DISTINCT r.rowId FROM register r JOIN purgedRow p ON p.rowId = r.rowId WHERE r.entity <> 'tombstone' LIMIT ?
            """, "is purged but keeps registers"),
            ("""
            SELECT r.rowId FROM register r WHERE r.field = 'ticketId' AND r.value IN (SELECT rowId FROM purgedRow) LIMIT ?
            """, "belongs to a purged ticket but was not purged"),
            ("""
            SELECT DISTINCT c.rowId FROM change c JOIN purgedRow p ON p.rowId = c.rowId
            WHERE c.entity <> 'tombstone' AND c.field <> 'ticketId' AND NOT (c.entity = 'resolution' AND c.field = 'rowId')
              AND c.value IS NOT NULL LIMIT ?
            """, "is purged but its content is still in the log"),
        ]
        for (sql, what) in purgeChecks {
            for rowID in try String.fetchAll(db, sql: sql, arguments: [limit]) { add("purge", "row \(rowID) \(what)") }
        }
        for table in MaterializedView.tables {
            for column in table.columns.sorted() {
                let mismatch = try String.fetchAll(
                    db,
                    sql: """
                        SELECT t.id FROM \(table.name) t LEFT JOIN register r ON r.entity = ? AND r.rowId = t.id AND r.field = ?
                        WHERE t.\(column) IS NOT r.value LIMIT ?
                        """,
                    // Every shown-state difference is looked at (a rating's reopen is one), so none can hide a forged one.
                    arguments: [table.name, column, table.name == "ticket" && column == "state" ? -1 : limit])
                var reported = 0
                for id in mismatch {
                    // The shown state is derived from the state register and the ratings (`MaterializedView.shownState`).
                    if table.name == "ticket" && column == "state",
                        let shown = try MaterializedView.shownState(ticketID: id, in: db),
                        try String.fetchOne(db, sql: "SELECT state FROM ticket WHERE id = ?", arguments: [id]) == shown.rawValue
                    {
                        continue
                    }
                    add("queryTable", "\(table.name) \(id): column \(column) differs from its register")
                    reported += 1
                    if reported == limit { break }
                }
            }
            let fields = table.columns.sorted().map { "'\($0)'" }.joined(separator: ",")
            for id in try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT r.rowId FROM register r WHERE r.entity = ? AND r.field IN (\(fields))
                      AND NOT EXISTS (SELECT 1 FROM \(table.name) t WHERE t.id = r.rowId) LIMIT ?
                    """, arguments: [table.name, limit])
            {
                add("queryTable", "\(table.name) \(id) is missing: its registers hold it")
            }
            for id in try String.fetchAll(
                db,
                sql: """
                    SELECT t.id FROM \(table.name) t
                    WHERE NOT EXISTS (SELECT 1 FROM register r WHERE r.entity = ? AND r.rowId = t.id) LIMIT ?
                    """, arguments: [table.name, limit])
            {
                add("queryTable", "\(table.name) \(id) has no register: no change in the log made it")
            }
        }
        return problems
    }
}
