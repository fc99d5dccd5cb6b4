import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// One site's SQLite replica: the change log, the registers and the query tables.
///
/// Every local command and every remote batch is one GRDB `write`, i.e. one transaction: the
/// changes, the rows they update, the clock and the version vector commit together or not at all.
package final class ReplicaStore: Replica {
    /// How the store reads time and bounds clock drift. Injected so tests need no wall clock.
    package struct Configuration: Sendable {
        /// Wall-clock milliseconds since 1970 (UTC).
        package var now: @Sendable () -> Int64
        /// The site's calendar for ticket-number days.
        package var timeZone: TimeZone
        /// The skew bound: how far ahead of our wall clock a received block may be stamped (ms).
        package var maxDrift: Int64
        /// The site's signer and the organisation's trust rule; nil for a lone replica (unsigned).
        package var provenance: Provenance?

        package init(
            now: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) },
            timeZone: TimeZone = .current,
            maxDrift: Int64 = 5 * 60 * 1000,
            provenance: Provenance? = nil
        ) {
            self.now = now
            self.timeZone = timeZone
            self.maxDrift = maxDrift
            self.provenance = provenance
        }
    }

    /// The database. Internal: other modules read and write through the store's commands.
    let writer: any DatabaseWriter
    package let site: SiteCode
    package let configuration: Configuration
    /// Repeated reads kept until the file changes (`ReadCache`).
    let cache: ReadCache
    /// Revocation records already verified (`SiteRights.swift`).
    let revocationCache = RevocationCache()
    /// Our own certificate's serial and role, or why the organisation refuses it; nil for a lone replica.
    let ownCertificate: Result<CertifiedKey, StoreError>?

    /// Opens the replica in `directory` (`replica.sqlite`, WAL mode); the site must exist.
    package static func open(directory: URL, configuration: Configuration = .init()) throws -> ReplicaStore {
        let path = directory.appendingPathComponent("replica.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(code: .notInitialized, message: "no site in '\(directory.path)': run 'ticketmesh init --site CODE' first")
        }
        return try ReplicaStore(writer: try pool(at: path), configuration: configuration)
    }

    /// Creates the data directory and a new site in it.
    ///
    /// - Throws: `StoreError.alreadyInitialized` if a site exists there; nothing is changed then.
    package static func create(
        directory: URL, site: SiteCode, name: String?, configuration: Configuration = .init()
    ) throws -> ReplicaStore {
        let path = directory.appendingPathComponent("replica.sqlite").path
        if FileManager.default.fileExists(atPath: path) {
            let existing = try? ReplicaStore(writer: try pool(at: path), configuration: configuration)
            throw StoreError(
                code: .alreadyInitialized,
                message: "'\(directory.path)' already holds site \(existing.map { $0.site.rawValue } ?? "?"): use another --data directory")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(code: .unusableDirectory, message: "cannot create data directory '\(directory.path)': \(error.localizedDescription)")
        }
        let pool = try pool(at: path)
        try initialize(pool, site: site, name: name, configuration: configuration)
        return try ReplicaStore(writer: pool, configuration: configuration)
    }

    /// A store over any GRDB writer (tests pass `DatabaseQueue()`); creates the site when `site` is given.
    package static func inMemory(site: SiteCode, configuration: Configuration = .init()) throws -> ReplicaStore {
        let queue = try DatabaseQueue()
        try initialize(queue, site: site, name: nil, configuration: configuration)
        return try ReplicaStore(writer: queue, configuration: configuration)
    }

    static func pool(at path: String) throws -> DatabasePool {
        var config = GRDB.Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return try DatabasePool(path: path, configuration: config)
    }

    private static func initialize(_ writer: some DatabaseWriter, site: SiteCode, name: String?, configuration: Configuration) throws {
        try Schema.migrator.migrate(writer)
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('site', ?), ('name', ?), ('createdAt', ?), ('hlcPhysical', 0), ('hlcLogical', 0)",
                arguments: [site.rawValue, name ?? site.rawValue, configuration.now()])
            try db.execute(sql: "INSERT INTO vector (origin, seq) VALUES (?, 0)", arguments: [site.rawValue])
        }
    }

    init(writer: any DatabaseWriter, configuration: Configuration) throws {
        try Schema.migrator.migrate(writer)
        let raw = try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'site'") }
        guard let raw, SiteCode.isValid(raw) else {
            throw StoreError(code: .notInitialized, message: "the replica has no site: run 'ticketmesh init --site CODE' first")
        }
        if let signer = configuration.provenance?.signer, signer.site.rawValue != raw {
            throw StoreError(
                code: .inconsistent,
                message: "the site's certificate names \(signer.site) but this replica is site \(raw): use the certificate issued to \(raw)")
        }
        self.writer = writer
        self.site = SiteCode(trusted: raw)
        self.configuration = configuration
        self.cache = try ReadCache(path: (writer as? DatabasePool)?.path)
        self.ownCertificate = Self.readOwnCertificate(configuration, site: SiteCode(trusted: raw))
        try backfillSigners()
    }

    /// The site's display name.
    package func siteName() async throws -> String {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'name'") } ?? site.rawValue
    }

    // MARK: Clock

    /// The clock and this site's last seq as of this transaction.
    ///
    /// The clock is the larger of the last saved observation and this site's newest change, so
    /// local writes need not save it: the change row is the record.
    func loadClockAndSeq(_ db: Database) throws -> (clock: HybridLogicalClock, seq: Int64) {
        let saved = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT (SELECT value FROM meta WHERE key = 'hlcPhysical'), (SELECT value FROM meta WHERE key = 'hlcLogical')"))
        let own = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, hlcPhysical, hlcLogical FROM change WHERE origin = ? ORDER BY seq DESC LIMIT 1"),
            arguments: [site.rawValue])
        var last = HLC(physical: saved?[0] ?? 0, logical: UInt32(clamping: (saved?[1] as Int64?) ?? 0))
        if let own { last = max(last, HLC(physical: own[1], logical: UInt32(clamping: own[2] as Int64))) }
        return (HybridLogicalClock(last: last, maxDrift: configuration.maxDrift), own?[0] ?? 0)
    }

    func loadClock(_ db: Database) throws -> HybridLogicalClock { try loadClockAndSeq(db).clock }

    func saveClock(_ clock: HybridLogicalClock, _ db: Database) throws {
        try db.cachedStatement(
            sql: "UPDATE meta SET value = CASE key WHEN 'hlcPhysical' THEN ? ELSE ? END WHERE key IN ('hlcPhysical', 'hlcLogical')"
        ).execute(arguments: [clock.last.physical, Int64(clock.last.logical)])
    }

    /// The last HLC issued or observed, as persisted.
    package func lastHLC() async throws -> HLC {
        try await writer.read { db in try self.loadClock(db).last }
    }
}
