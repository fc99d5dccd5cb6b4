import Crypto
import Foundation
import GRDB
import Synchronization
import TicketMeshDomain
import TicketMeshReplication

/// What a site may write, decided from the certificate that signed each block, and the
/// revocation records that end a certificate (Docs/workflow.md, "Site roles";
/// Docs/replication.md, "Revocation").
///
/// Every rule here depends only on a block's contents and the certificates its origin's chain
/// carries, never on arrival order or on who relayed it, so every site decides the same and
/// replicas still converge.
enum SiteRights {
    /// Entities holding the organisation's configuration: written only by blocks an admin site signed.
    static let adminEntities: Set<String> = ["user", "slaPolicy", "requestType", "setting", "tombstone"]

    /// The rule, as error messages and notices state it.
    static let rule =
        "users, roles and passwords, SLA policies and calendars, request types, settings (retention, default SLA policy, care thresholds, report targets, auto-close period, mail) and purges are written only at an admin site (a certificate issued with 'ticketmesh certs site --admin')"

    /// The entity of revocation records; its one field `record` holds the CA-signed entry.
    static let revocationEntity = "revocation"

    static func needsAdminSite(_ change: Change) -> Bool { adminEntities.contains(change.entity) }

    /// The keys that may sign for `origin` as the `signer` table holds them (with serial and role), newest first.
    static func signers(origin: SiteCode, in db: Database) throws -> [CertifiedKey] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT publicKey, serial, admin FROM signer WHERE origin = ? ORDER BY addedAt DESC"),
            arguments: [origin.rawValue]
        ).compactMap { row in
            guard let key = try? P256.Signing.PublicKey(x963Representation: row[0] as Data) else { return nil }
            return CertifiedKey(key: key, serial: row[1] ?? "", admin: (row[2] as Int64) != 0)
        }
    }

    /// The changes of `block` logged but never merged: organisation records when no admin key of its
    /// origin (among `certified`) signed the block, revocation records the CA did not sign.
    ///
    /// The one rule for received blocks (`applyBlocks`) and snapshots (`Snapshot.adopt`).
    static func withheld(
        _ block: Block, certified: [CertifiedKey], trust: any CertificateTrust, cache: RevocationCache
    ) -> (branch: [Change], forged: [Change]) {
        let needsAdmin = block.changes.filter(needsAdminSite)
        let branch =
            needsAdmin.isEmpty || certified.contains(where: { $0.admin && block.isSigned(by: $0.key) }) ? [] : needsAdmin
        let forged = block.changes.filter { change in
            change.entity == revocationEntity
                && (change.field != "record" || change.value.text.map { (try? cache.revocation(record: $0, trust: trust)) == nil } ?? true)
        }
        return (branch, forged)
    }

    /// The revocation of the key among `candidates` that signed `block` after the CA revoked it, if any.
    static func revocation(ofSigner block: Block, candidates: [CertifiedKey], revoked: [String: Revocation]) -> Revocation? {
        guard !revoked.isEmpty else { return nil }
        for signer in candidates {
            guard let revocation = revoked[signer.serial], revocation.site == block.origin, block.hlc.physical > revocation.time else { continue }
            if block.isSigned(by: signer.key) { return revocation }
        }
        return nil
    }

    /// Logs that changes of a block are never merged, with why.
    static func deny(_ changes: [Change], reason: String, in db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO deniedChange (origin, seq, reason) VALUES (?,?,?)")
        for change in changes { try statement.execute(arguments: [change.origin.rawValue, change.seq, reason]) }
    }
}

/// Revocations verified once per process: records are few and immutable, and checking a CA
/// signature costs a P-256 verification.
final class RevocationCache: Sendable {
    private let verified = Mutex<[String: Revocation]>([:])

    func revocation(record: String, trust: any CertificateTrust) throws -> Revocation {
        if let known = verified.withLock({ $0[record] }) { return known }
        let revocation = try trust.revocation(record: record)
        verified.withLock { $0[record] = revocation }
        return revocation
    }
}

extension ReplicaStore {
    /// The revocation records merged here, by certificate serial (the earliest time if a serial has several).
    func heldRevocations(in db: Database) throws -> [String: Revocation] {
        guard let trust = configuration.provenance?.trust else { return [:] }
        var held: [String: Revocation] = [:]
        let records = try String.fetchAll(
            db.cachedStatement(sql: "SELECT value FROM register WHERE entity = 'revocation' AND field = 'record'"))
        for record in records {
            // Only records that verified are ever merged; one that no longer does (another CA) is ignored.
            guard let revocation = try? revocationCache.revocation(record: record, trust: trust) else { continue }
            if held[revocation.serial].map({ $0.time > revocation.time }) ?? true { held[revocation.serial] = revocation }
        }
        return held
    }

    /// The CA's revocation records this replica holds, for the TLS peer check and `status`.
    package func revocations() async throws -> [Revocation] {
        try await writer.read { db in try self.heldRevocations(in: db).values.sorted { ($0.site, $0.serial) < ($1.site, $1.serial) } }
    }

    /// Writes CA-signed revocation records (the entries of a CA's `revoked.json`) into the replica,
    /// as changes of this site that sync then carries to every other site.
    ///
    /// - Returns: how many records were new here.
    /// - Throws: `DomainError.invalidValue` naming the record that the organisation CA did not sign,
    ///   `StoreError.notInitialized` for a replica without an organisation identity. Nothing is written then.
    package func importRevocations(_ records: [String], actor: String?) async throws -> Int {
        guard let trust = configuration.provenance?.trust else {
            throw StoreError(
                code: .notInitialized,
                message: "this replica has no organisation identity to check revocation records against: run 'ticketmesh site enroll --tls DIR' first")
        }
        var edits: [FieldEdit] = []
        var revocations: [Revocation] = []
        for record in records {
            do {
                revocations.append(try revocationCache.revocation(record: record, trust: trust))
            } catch {
                throw DomainError.invalidValue(field: "revocation record", value: String(record.prefix(80)), rule: "must be signed by this organisation's CA (\(error))")
            }
            let id = SHA256.hash(data: Data(record.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
            edits.append(FieldEdit(entity: SiteRights.revocationEntity, rowID: id, field: "record", value: .text(record)))
        }
        if case .success(let own) = ownCertificate, let mine = revocations.first(where: { $0.serial == own.serial }) {
            throw DomainError(
                code: .forbidden,
                message: "forbidden: this record revokes this site's own certificate (serial \(mine.serial)): import it at another site, which carries it to every site")
        }
        let (proposed, stated) = (edits, revocations)
        return try await writer.write { db in
            let held = try self.heldRevocations(in: db)
            let fresh = try proposed.filter { edit in
                try !(Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM register WHERE entity = ? AND rowId = ? AND field = 'record')",
                    arguments: [edit.entity, edit.rowID]) ?? false)
            }
            guard !fresh.isEmpty else { return 0 }
            _ = try self.stamp(fresh, actor: actor, in: db)
            // As on receipt: what the revoked keys signed after their revocation leaves the chain here too.
            let new = stated.filter { revocation in held[revocation.serial].map { $0.time > revocation.time } ?? true }
            if try !self.takeOffRevoked(new, introduced: [:], batch: [], at: self.configuration.now(), in: db).isEmpty {
                try self.rebuildDerived(in: db)
            }
            return fresh.count
        }
    }

    /// The revocation of our own certificate, if this replica holds one.
    func ownRevocation(in db: Database) throws -> Revocation? {
        guard case .success(let own) = ownCertificate else { return nil }
        return try heldRevocations(in: db)[own.serial]
    }

    /// Checks that this site may write `changes` (called by `appendLocal` before anything is written).
    ///
    /// A site with an organisation identity may not write once its own certificate is revoked,
    /// writes organisation records only when its certificate makes it an admin site, and writes
    /// revocation records only when the CA signed them. A lone replica (no identity) has no roles.
    func checkLocalRights(_ changes: [Change], in db: Database) throws {
        guard let provenance = configuration.provenance else { return }
        let own = try ownCertifiedKey()
        if let revoked = try ownRevocation(in: db) {
            throw DomainError(
                code: .forbidden,
                message:
                    "forbidden: this site's certificate (serial \(own.serial)) was revoked by the CA at \(Self.isoTime(revoked.time)): ask the CA for a new certificate and run 'ticketmesh site enroll --tls DIR'")
        }
        if !own.admin, let first = changes.first(where: SiteRights.needsAdminSite) {
            throw DomainError(
                code: .forbidden,
                message: "forbidden: site \(site) is a branch site and may not write \(first.entity) records: \(SiteRights.rule)")
        }
        for change in changes where change.entity == SiteRights.revocationEntity {
            guard change.field == "record", let text = change.value.text, (try? revocationCache.revocation(record: text, trust: provenance.trust)) != nil
            else {
                throw DomainError.invalidValue(field: "revocation record", value: change.rowID, rule: "must be signed by this organisation's CA")
            }
        }
    }

    /// Our own certificate as the organisation's trust reads it (serial, role), read when the store opened.
    func ownCertifiedKey() throws -> CertifiedKey {
        switch ownCertificate {
        case .some(.success(let key)): return key
        case .some(.failure(let problem)):
            throw DomainError(
                code: .forbidden,
                message:
                    "forbidden: this site's own certificate is not valid for the organisation now (\(problem.message)): ask the CA for a new one ('ticketmesh certs site') and run 'ticketmesh site enroll --tls DIR'")
        case .none: throw StoreError(code: .notInitialized, message: "this replica has no identity")
        }
    }

    /// Reads our own certificate once: parsing it and checking the CA's signature on it costs
    /// more than a local write.
    static func readOwnCertificate(_ configuration: Configuration, site: SiteCode) -> Result<CertifiedKey, StoreError>? {
        guard let provenance = configuration.provenance else { return nil }
        do {
            return .success(
                try provenance.trust.signingKey(
                    certificate: provenance.signer.certificate, origin: site,
                    at: Date(timeIntervalSince1970: Double(configuration.now()) / 1000)))
        } catch {
            return .failure(StoreError(code: .inconsistent, message: "\(error)"))
        }
    }

    /// Fills in serial and role of signers learned before `v6-rights` (best effort: a certificate
    /// the trust no longer reads keeps serial '' and branch rights).
    func backfillSigners() throws {
        guard let trust = configuration.provenance?.trust else { return }
        let sql = "SELECT origin, publicKey, certificate, addedAt FROM signer WHERE serial IS NULL"
        guard try writer.read({ db in try Row.fetchOne(db, sql: sql) }) != nil else { return }
        try writer.write { db in
            for row in try Row.fetchAll(db, sql: sql) {
                let origin = SiteCode(trusted: row[0])
                let certified = try? trust.signingKey(
                    certificate: [UInt8](row[2] as Data), origin: origin, at: Date(timeIntervalSince1970: Double(row[3] as Int64) / 1000))
                try db.execute(
                    sql: "UPDATE signer SET serial = ?, admin = ? WHERE origin = ? AND publicKey = ?",
                    arguments: [certified?.serial ?? "", certified?.admin == true ? 1 : 0, origin.rawValue, row[1] as Data])
            }
        }
    }

    /// `admin` or `branch` as this site's certificate makes it; nil for a lone replica or a certificate the organisation refuses.
    package func siteRole() -> String? {
        guard case .success(let own) = ownCertificate else { return nil }
        return own.admin ? "admin" : "branch"
    }

    /// How many logged changes are never merged (`deniedChange`).
    package func deniedCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deniedChange") ?? 0 }
    }

    package static func isoTime(_ milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
