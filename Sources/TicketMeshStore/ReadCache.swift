import GRDB
import GRDBSQLite
import Synchronization
import TicketMeshDomain

/// Reads that every web request repeats (who the user is, the SLA queue), kept in memory until
/// the database changes (Docs/performance.md, "Web queue").
///
/// The test for "changed" is SQLite's `PRAGMA data_version` on a connection of its own that never
/// writes: it moves whenever any other connection commits, whether this process's pool or another
/// process on the same file (a CLI command next to `serve`). So nothing written is ever missed, and
/// a hit costs one pragma instead of a read transaction.
///
/// The version is read *before* the data: data read after it is at least as new, so a value is
/// never filed under a version newer than what it shows. A store without a file (tests'
/// in-memory queue) has no second connection to ask, so it caches nothing.
package final class ReadCache: Sendable {
    /// What a cached value answers.
    enum Key: Hashable, Sendable {
        case user(String)
        case passwordHash(String)
        case hasUsers
        case queue(ReplicaStore.TicketFilter)
        case views(String)
    }

    /// Hits and misses since the store opened (tests read them to see the cache answer).
    package struct Statistics: Sendable, Equatable {
        package var hits = 0
        package var misses = 0
    }

    private struct State {
        var version: Int64?
        var values: [Key: any Sendable] = [:]
        var statistics = Statistics()
    }

    /// Past this many values (distinct filters) the cache starts again empty.
    static let capacity = 256

    private let probe: VersionProbe?
    private let state = Mutex(State())

    /// A cache for the database file at `path`; nil caches nothing.
    init(path: String?) throws {
        probe = try path.map(VersionProbe.init(path:))
    }

    /// A version read once for a whole task (`ReplicaStore.atOneVersion`), with the cache it is of.
    struct Pin: Sendable {
        let cache: ObjectIdentifier
        let version: Int64?
    }

    @TaskLocal static var pinned: Pin?

    /// The database's version now (or as pinned for this task), or nil when this cache cannot tell
    /// (then nothing is cached).
    func version() throws -> Int64? {
        if let pin = Self.pinned, pin.cache == ObjectIdentifier(self) { return pin.version }
        return try probe?.version()
    }

    /// Runs `body` with this cache's version read once: every cached read in it asks no more.
    func atOneVersion<T>(_ body: () async throws -> T) async throws -> T {
        let pin = Pin(cache: ObjectIdentifier(self), version: try probe?.version())
        return try await Self.$pinned.withValue(pin) { try await body() }
    }

    /// The value kept for `key` if it was read at `version`; counts a hit or a miss.
    func value<Value: Sendable>(_ key: Key, at version: Int64?, as type: Value.Type = Value.self) -> Value? {
        state.withLock { state in
            // Unwrap before casting: an absent value cast to an optional `Value` would be a hit of nil.
            guard let version, state.version == version, let stored = state.values[key], let value = stored as? Value else {
                state.statistics.misses += 1
                return nil
            }
            state.statistics.hits += 1
            return value
        }
    }

    /// Keeps `value` for `key`, read at `version`; forgets everything kept at an older version.
    func set(_ key: Key, _ value: some Sendable, at version: Int64?) {
        guard let version else { return }
        state.withLock { state in
            if state.version != version || state.values.count >= Self.capacity {
                state.values.removeAll(keepingCapacity: true)
                state.version = version
            }
            state.values[key] = value
        }
    }

    var statistics: Statistics { state.withLock { $0.statistics } }
}

/// A read-only SQLite connection that answers `PRAGMA data_version`, and nothing else.
///
/// Written on the C API under a mutex rather than as a GRDB queue: every web request asks it, and
/// a dispatch-queue hop per question cost more than the question.
private final class VersionProbe: Sendable {
    private struct Connection: @unchecked Sendable {
        let database: OpaquePointer
        let statement: OpaquePointer
    }

    private let connection: Mutex<Connection>

    init(path: String) throws {
        var database: OpaquePointer?
        var statement: OpaquePointer?
        let opened = sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let database else {
            sqlite3_close_v2(database)
            throw DatabaseError(resultCode: ResultCode(rawValue: opened), message: "cannot open '\(path)' to watch its version")
        }
        sqlite3_busy_timeout(database, 10_000)
        let prepared = sqlite3_prepare_v2(database, "PRAGMA data_version", -1, &statement, nil)
        guard prepared == SQLITE_OK, let statement else {
            let message = String(cString: sqlite3_errmsg(database))
            sqlite3_close_v2(database)
            throw DatabaseError(resultCode: ResultCode(rawValue: prepared), message: message)
        }
        connection = Mutex(Connection(database: database, statement: statement))
    }

    func version() throws -> Int64 {
        try connection.withLock { connection in
            defer { sqlite3_reset(connection.statement) }
            let stepped = sqlite3_step(connection.statement)
            guard stepped == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: stepped), message: String(cString: sqlite3_errmsg(connection.database)))
            }
            return sqlite3_column_int64(connection.statement, 0)
        }
    }

    deinit {
        connection.withLock { connection in
            sqlite3_finalize(connection.statement)
            sqlite3_close_v2(connection.database)
        }
    }
}

extension ReplicaStore {
    /// `read` in a read transaction, or its value kept since the database last changed.
    func cachedRead<Value: Sendable>(_ key: ReadCache.Key, _ read: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let version = try cache.version()
        if let value = cache.value(key, at: version, as: Value.self) { return value }
        let value = try await writer.read(read)
        cache.set(key, value, at: version)
        return value
    }

    /// Runs `body` (a read-only request: it must not write) with the database's version read once:
    /// its cached reads (user, queue, views) all answer as of that version, one `PRAGMA
    /// data_version` instead of one per read. A write in `body` would not be seen by its later
    /// cached reads, hence read-only.
    package func atOneVersion<T>(_ body: () async throws -> T) async throws -> T {
        try await cache.atOneVersion(body)
    }

    /// The database's version (`PRAGMA data_version` of a connection that never writes): it moves
    /// with every commit by any connection or process. Nil for a store without a file. Callers that
    /// keep something derived from the replica read it first and keep the thing under it.
    package func dataVersion() throws -> Int64? {
        try cache.version()
    }

    /// How often the read cache answered since the store opened.
    package var readCacheStatistics: ReadCache.Statistics { cache.statistics }
}
