import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// What a bootstrap from a snapshot took in and checked.
package struct BootstrapReport: Hashable, Sendable {
    /// The site whose replica the snapshot is.
    package var maker: String
    /// The snapshot's version: every origin's last block; delta sync continues from here.
    package var heads: ChainHeads
    package var blocks: Int
    package var changes: Int
    /// Organisation records the gate's rules keep out of the registers (`SiteRights`), decided here again.
    package var denied: Int
}

/// Starting a site from a peer's replica instead of replaying every change (Docs/replication.md,
/// "Snapshot bootstrap").
///
/// A snapshot is a consistent copy of a replica file (SQLite's online backup). Nothing in it is
/// believed: the receiver checks every origin's chain (links, change hashes, the signature of each
/// chain's last block under a key an organisation certificate in that chain introduces), decides
/// again which changes the rights rules keep out of the registers and which blocks a revocation
/// ends, and then checks the derived state against that log (`Integrity.derivedProblems`):
/// every register is the winning write of its field, every query-table column its register's value,
/// purges are backed by tombstones. Derived columns and search indexes are recomputed. What it
/// saves against a replay is the merge itself: registers and query tables arrive built.
enum Snapshot {
    /// Local bookkeeping of the maker that the new site replaces with its own.
    static let localTables = ["vector", "serial", "signer", "deniedChange"]

    /// Verifies the copied snapshot in `db` and makes it `site`'s replica; throws, naming what is wrong, if it does not verify.
    static func adopt(
        site: SiteCode, name: String?, configuration: ReplicaStore.Configuration, cache: RevocationCache,
        progress: (String) -> Void, in db: Database
    ) throws -> BootstrapReport {
        guard let provenance = configuration.provenance else {
            throw StoreError(
                code: .notInitialized,
                message: "a snapshot is verified against the organisation's CA: give the new site's identity (--tls DIR)")
        }
        let trust = provenance.trust
        guard let maker = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'site'") else {
            throw ReplicationError(code: .malformed, message: "snapshot: the file is not a TicketMesh replica (it has no site)")
        }
        let wall = configuration.now()
        for table in localTables { try db.execute(sql: "DELETE FROM \(table)") }
        try db.execute(sql: "UPDATE block SET checked = 0")
        // Kept proofs of forks travel as they are; only this site's own lost work is this site's to re-issue.
        try db.execute(sql: "UPDATE forkBlock SET reissue = (origin = ?)", arguments: [site.rawValue])

        // Signers: the keys the certificates in each chain introduce, as the gate takes them in.
        let carriers = try Row.fetchAll(
            db, sql: "SELECT origin, lastSeq, hlcPhysical, certificate FROM block WHERE length(certificate) > 0 ORDER BY origin, lastSeq")
        for row in carriers {
            let origin = SiteCode(trusted: row[0])
            let certificate = [UInt8](row[3] as Data)
            let label = "\(origin):…\(row[1] as Int64)"
            let key: CertifiedKey
            do {
                key = try trust.signingKey(
                    certificate: certificate, origin: origin, at: Date(timeIntervalSince1970: Double(row[2] as Int64) / 1000))
            } catch {
                throw ReplicationError(code: .untrusted, message: "snapshot: block \(label) carries a certificate this organisation refuses: \(error)")
            }
            if origin == site, key.key.x963Representation != provenance.signer.publicKey.x963Representation {
                throw ReplicationError(
                    code: .untrusted,
                    message: "snapshot: block \(label) of this site's origin \(site) is signed by another key: start with that key, or as a new site code")
            }
            try BlockGate.addSigner(origin: origin, key: key, certificate: certificate, at: wall, in: db)
        }

        // Revocations: every CA-signed record the log holds (the registers are not believed yet).
        var revoked: [String: Revocation] = [:]
        for record in try String.fetchAll(db, sql: "SELECT value FROM change WHERE entity = ? AND field = 'record' AND value IS NOT NULL", arguments: [SiteRights.revocationEntity]) {
            guard let revocation = try? cache.revocation(record: record, trust: trust) else { continue }
            if revoked[revocation.serial].map({ $0.time > revocation.time }) ?? true { revoked[revocation.serial] = revocation }
        }

        var report = BootstrapReport(maker: maker, heads: ChainHeads(), blocks: 0, changes: 0, denied: 0)
        var heads: [SiteCode: ChainHead] = [:]
        let origins = try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM block ORDER BY origin").map(SiteCode.init(trusted:))
        for (index, origin) in origins.enumerated() {
            let certified = try SiteRights.signers(origin: origin, in: db)
            let keys = origin == site ? [provenance.signer.publicKey] : certified.map(\.key)
            var last: (held: BlockGate.Held, block: Block)?
            let broken = try BlockGate.walk(origin: origin, in: db) { held, block in
                if block.hlc.physical > wall + configuration.maxDrift {
                    return "block \(block.label) is stamped more than the skew bound ahead of this site's clock"
                }
                if let revocation = SiteRights.revocation(ofSigner: block, candidates: certified, revoked: revoked) {
                    return "block \(block.label) is signed by \(origin)'s certificate \(revocation.serial) after the CA revoked it: the snapshot's maker still holds it"
                }
                let withheld = SiteRights.withheld(block, certified: certified, trust: trust, cache: cache)
                try SiteRights.deny(withheld.branch, reason: "branch site", in: db)
                try SiteRights.deny(withheld.forged, reason: "revocation not signed by the CA", in: db)
                report.denied += withheld.branch.count + withheld.forged.count
                report.blocks += 1
                report.changes += block.changes.count
                last = (held, block)
                return nil
            }
            if let broken {
                throw ReplicationError(code: .untrusted, message: "snapshot: \(origin)'s chain is broken at seq \(broken.seq): \(broken.message)")
            }
            // The last block's signature proves the chain up to it (`Block.checked`).
            guard let last else { continue }
            guard last.block.isSigned, keys.contains(where: { last.block.isSigned(by: $0) }) else {
                throw ReplicationError(
                    code: .untrusted,
                    message: "snapshot: block \(last.block.label), the last of \(origin)'s chain, does not carry a valid signature of \(origin)")
            }
            try BlockGate.markChecked(last.block, in: db)
            heads[origin] = ChainHead(seq: last.held.lastSeq, hash: last.held.hash)
            progress("verified \(origin)'s chain (\(index + 1) of \(origins.count) origins, \(report.changes) changes so far)")
        }
        report.heads = ChainHeads(heads)

        let problems = try Integrity.derivedProblems(in: db, limit: 5)
        if !problems.isEmpty {
            throw StoreError(
                code: .inconsistent,
                message: "snapshot: its derived state does not follow from its log: " + problems.prefix(3).map(\.message).joined(separator: "; "))
        }
        progress("checked registers and query tables against the log")

        // What the merge derives beyond registers is recomputed, not believed.
        try SLADerivation.backfill(in: db)
        try TicketSearch.rebuild(in: db)
        try db.execute(sql: "DELETE FROM articleSearch; INSERT INTO articleSearch (articleId, title, body) SELECT id, title, body FROM article")

        // This site's own bookkeeping.
        for (origin, head) in heads { try ChangeLog.setVector(origin: origin, seq: head.seq, in: db) }
        let newest = try Row.fetchOne(db, sql: "SELECT hlcPhysical, hlcLogical FROM block ORDER BY hlcPhysical DESC, hlcLogical DESC LIMIT 1")
        try db.execute(sql: "DELETE FROM meta")
        try db.execute(
            sql: "INSERT INTO meta (key, value) VALUES ('site', ?), ('name', ?), ('createdAt', ?), ('hlcPhysical', ?), ('hlcLogical', ?), ('bootstrappedFrom', ?)",
            arguments: [
                site.rawValue, name ?? site.rawValue, wall, min(newest?[0] ?? 0, wall + configuration.maxDrift), newest?[1] ?? 0,
                "\(maker) \(report.heads)",
            ])
        if heads[site] == nil { try ChangeLog.setVector(origin: site, seq: 0, in: db) }
        return report
    }
}

extension ReplicaStore {
    /// Writes a consistent copy of this replica to `file` for a new site to start from (`Snapshot`).
    ///
    /// Safe while the site serves (SQLite's online backup). Returns the snapshot's version.
    package func writeSnapshot(to file: URL) async throws -> ChainHeads {
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw StoreError(code: .alreadyInitialized, message: "'\(file.path)' exists: write a snapshot to a new file")
        }
        let target: DatabaseQueue
        do {
            target = try DatabaseQueue(path: file.path)
        } catch {
            throw StoreError(code: .unusableDirectory, message: "cannot write snapshot '\(file.path)': \(error)")
        }
        try writer.backup(to: target)
        let heads = try await target.read { db in try BlockGate.heads(in: db) }
        try target.close()
        return heads
    }

    /// Creates `site`'s replica in `directory` from a peer's snapshot, after verifying it (`Snapshot`);
    /// the site then continues by delta sync from the snapshot's version.
    ///
    /// Nothing is written to `directory` unless the snapshot verifies.
    package static func bootstrap(
        directory: URL, site: SiteCode, name: String?, snapshot: URL, configuration: Configuration = .init(),
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> (store: ReplicaStore, report: BootstrapReport) {
        let path = directory.appendingPathComponent("replica.sqlite").path
        if FileManager.default.fileExists(atPath: path) {
            throw StoreError(code: .alreadyInitialized, message: "'\(directory.path)' already holds a replica: bootstrap into an empty directory")
        }
        guard FileManager.default.isReadableFile(atPath: snapshot.path) else {
            throw StoreError(code: .unusableDirectory, message: "snapshot '\(snapshot.path)' cannot be read")
        }
        let partial = path + ".bootstrap"
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: partial)
            try FileManager.default.copyItem(atPath: snapshot.path, toPath: partial)
        } catch {
            throw StoreError(code: .unusableDirectory, message: "cannot copy the snapshot into '\(directory.path)': \(error.localizedDescription)")
        }
        var succeeded = false
        defer { if !succeeded { try? FileManager.default.removeItem(atPath: partial) } }
        let report: BootstrapReport
        do {
            let queue = try DatabaseQueue(path: partial)
            guard try queue.read({ db in try db.tableExists("block") && db.tableExists("meta") }) else {
                throw ReplicationError(code: .malformed, message: "snapshot '\(snapshot.path)' is not a TicketMesh replica")
            }
            try Schema.migrator.migrate(queue)
            progress("copied the snapshot; verifying")
            report = try queue.write { db in
                try Snapshot.adopt(site: site, name: name, configuration: configuration, cache: RevocationCache(), progress: progress, in: db)
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw ReplicationError(code: .malformed, message: "snapshot '\(snapshot.path)' is not a readable replica: \(error.message ?? "\(error)")")
        }
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        succeeded = true
        return (try ReplicaStore(writer: try pool(at: path), configuration: configuration), report)
    }
}
