import Foundation
import Logging
import NIOCore
import PostgresNIO
import TicketMeshDomain
import TicketMeshReplication

/// The organisation's change log in PostgreSQL: every block any hub accepted, in arrival order
/// (Docs/scale-out.md).
///
/// `hub_block.id` is the arrival order; `batch` groups the blocks one `apply` stored, so a
/// replay applies the same batches in the same order as the hub that first took them. Writers
/// hold one transaction-scoped advisory lock (`writeLock`), so ids become visible in commit order
/// and "every row with id > n" is a complete catch-up.
package final class HubLog: Sendable {
    /// Advisory lock keys: schema migrations (session-scoped) and writes (transaction-scoped).
    static let migrateLock: Int64 = 0x544D_4855_0001
    static let writeLock: Int64 = 0x544D_4855_0002

    /// One row of the log.
    package struct Entry: Sendable {
        package var id: Int64
        package var batch: Int64
        package var block: Block
    }

    /// The schema, one step per version; a step runs once, under `migrateLock`.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE hub_block (
                id bigserial PRIMARY KEY,
                batch bigint NOT NULL,
                origin text NOT NULL,
                first_seq bigint NOT NULL,
                last_seq bigint NOT NULL,
                hash bytea NOT NULL UNIQUE,
                previous bytea NOT NULL,
                block bytea NOT NULL,
                stored_by text NOT NULL,
                stored_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX hub_block_origin ON hub_block (origin, last_seq)",
            "CREATE INDEX hub_block_batch ON hub_block (batch)",
            "CREATE SEQUENCE hub_batch",
        ]
    ]

    let client: PostgresClient
    package let url: PostgresURL
    let logger: Logger
    private let runner: Task<Void, Never>

    /// Connects (the pool runs until `shutdown`); nothing is sent until the first query.
    package init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
        let client = PostgresClient(configuration: url.configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    package func shutdown() { runner.cancel() }

    /// Brings the schema to the newest version; safe with several hubs starting at once.
    ///
    /// - Throws: `HubError.database` naming the server if it cannot be reached within `timeout`.
    package func migrate(timeout: Duration = .seconds(20)) async throws {
        // One plain connection first: the pool would retry a refused one (wrong port, TLS,
        // `pg_hba.conf`) until the deadline and say only that nothing answered.
        if let refusal = await Self.probe(url, timeout: timeout, logger: logger) { throw refusal }
        try await reaching(timeout: timeout) {
            try await self.client.withConnection { connection in
                _ = try await connection.query("SELECT pg_advisory_lock(\(Self.migrateLock))", logger: self.logger)
                do {
                    try await Self.migrate(connection, logger: self.logger)
                    _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.migrateLock))", logger: self.logger)
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrateLock))", logger: self.logger)
                    throw error
                }
            }
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS hub_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            logger: logger)
        var current = 0
        for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM hub_schema", logger: logger)
            .decode(Int.self)
        {
            current = version
        }
        guard current <= migrations.count else {
            throw HubError.database("schema version \(current) is newer than this hub knows (\(migrations.count)): upgrade the hub")
        }
        for version in (current + 1)...max(current + 1, migrations.count) where version <= migrations.count {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migrations[version - 1] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO hub_schema (version) VALUES (\(version))", logger: logger)
            }
        }
    }

    /// Runs `body`, turning a server that cannot be reached into a clear error.
    private func reaching<T: Sendable>(timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            guard let value = try await Self.within(timeout, body) else {
                throw await Self.probe(url, timeout: .seconds(5), logger: logger) ?? Self.silence(url, timeout)
            }
            return value
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError.database("cannot use \(url.description): \(String(reflecting: error))")
        }
    }

    /// `body`'s value, or nil if `timeout` passes first (`body` is then cancelled).
    private static func within<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// The error of a server that gave nothing within `timeout`.
    private static func silence(_ url: PostgresURL, _ timeout: Duration) -> HubError {
        HubError.database("\(url) did not answer within \(timeout): is the server running and the URL right?")
    }

    /// Why `url` gives no connection: one plain connection is made, and the server's or TLS's
    /// own reason for refusing it is the error; nil when it connected. The pool retries a
    /// connection that fails until its caller gives up, so this is how a hub hears the reason.
    private static func probe(_ url: PostgresURL, timeout: Duration, logger: Logger) async -> HubError? {
        do {
            let connected = try await within(timeout) {
                let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration, id: 0, logger: logger)
                try? await connection.close()
                return true
            }
            return connected == nil ? silence(url, timeout) : nil
        } catch {
            return HubError.database("cannot use \(url): \(String(reflecting: error))")
        }
    }

    /// Rows with id > `after`, in id order: whole batches only (at most `batches` of them), so a
    /// replay never splits what one `apply` took.
    package func entries(after: Int64, batches: Int = 100, on connection: PostgresConnection? = nil) async throws -> [Entry] {
        let query: PostgresQuery = """
            SELECT id, batch, block FROM hub_block
            WHERE id > \(after) AND batch IN (SELECT DISTINCT batch FROM hub_block WHERE id > \(after) ORDER BY batch LIMIT \(batches))
            ORDER BY id
            """
        let rows: PostgresRowSequence
        if let connection { rows = try await connection.query(query, logger: logger) } else { rows = try await client.query(query, logger: logger) }
        var result: [Entry] = []
        for try await (id, batch, bytes) in rows.decode((Int64, Int64, ByteBuffer).self) {
            var reader = ByteReader(Array(bytes.readableBytesView))
            let block = try BlockCodec.decode(from: &reader)
            result.append(Entry(id: id, batch: batch, block: block))
        }
        return result
    }

    /// In one transaction holding the write lock: `body` (which catches up and applies on the
    /// connection it is given) returns the blocks to store; they are inserted as one batch, skipping
    /// any hash already stored, and committed before this returns. Returns `body`'s value and the
    /// largest id now stored by this batch (nil if every block was already there).
    package func write<T: Sendable>(
        hub: SiteCode, _ body: (PostgresConnection) async throws -> (T, [Block])
    ) async throws -> (T, Int64?) {
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
            let (value, blocks) = try await body(connection)
            guard !blocks.isEmpty else { return (value, nil) }
            // One statement for the batch (one round trip, whatever its size): the batch number
            // drawn once, the rows in the blocks' order so ids keep arrival order.
            var origins: [String] = [], firsts: [Int64] = [], lasts: [Int64] = []
            var hashes: [ByteBuffer] = [], previous: [ByteBuffer] = [], encoded: [ByteBuffer] = []
            for block in blocks {
                var writer = ByteWriter(capacity: BlockCodec.encodedSize(of: block))
                BlockCodec.encode(block, into: &writer)
                origins.append(block.origin.rawValue)
                firsts.append(block.firstSeq)
                lasts.append(block.lastSeq)
                hashes.append(ByteBuffer(bytes: block.hash.bytes))
                previous.append(ByteBuffer(bytes: block.previous.bytes))
                encoded.append(ByteBuffer(bytes: writer.bytes))
            }
            let rows = try await connection.query(
                """
                WITH drawn AS (SELECT nextval('hub_batch') AS batch)
                INSERT INTO hub_block (batch, origin, first_seq, last_seq, hash, previous, block, stored_by)
                SELECT drawn.batch, given.origin, given.first_seq, given.last_seq, given.hash, given.previous, given.block, \(hub.rawValue)
                FROM drawn, unnest(\(origins)::text[], \(firsts)::bigint[], \(lasts)::bigint[], \(hashes)::bytea[],
                                   \(previous)::bytea[], \(encoded)::bytea[])
                     WITH ORDINALITY AS given(origin, first_seq, last_seq, hash, previous, block, position)
                ORDER BY given.position
                ON CONFLICT (hash) DO NOTHING RETURNING id
                """, logger: logger)
            var last: Int64?
            for try await id in rows.decode(Int64.self) { last = max(last ?? id, id) }
            return (value, last)
        }
    }

    /// Number of rows holding `hash` (for tests and `audit`: it is 0 or 1).
    package func count(hash: BlockHash) async throws -> Int {
        var count = 0
        for try await value in try await client.query(
            "SELECT count(*) FROM hub_block WHERE hash = \(ByteBuffer(bytes: hash.bytes))", logger: logger
        ).decode(Int.self) {
            count = value
        }
        return count
    }
}
