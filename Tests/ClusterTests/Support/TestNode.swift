import Foundation
import InMemoryLogging
import Logging
import Synchronization
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// A replica that counts what sessions apply to it: what each sync attempt really moved.
final class CountingReplica: Replica {
    let store: ReplicaStore
    private let totals = Mutex<ApplyReport>(ApplyReport())

    init(_ store: ReplicaStore) { self.store = store }

    /// Every change applied, already held, or refused since the node started.
    var applied: ApplyReport { totals.withLock { $0 } }

    var site: SiteCode { store.site }
    func heads() async throws -> ChainHeads { try await store.heads() }
    func blocks(after heads: ChainHeads, cursor: ChangeCursor?, limit: Int) async throws -> [Block] {
        try await store.blocks(after: heads, cursor: cursor, limit: limit)
    }
    func apply(_ blocks: [Block]) async throws -> ApplyReport {
        let report = try await store.apply(blocks)
        totals.withLock {
            $0.applied += report.applied
            $0.duplicates += report.duplicates
            $0.refused += report.refused
        }
        return report
    }
    func settle() async throws { try await store.settle() }
    func proofs(of origin: SiteCode) async throws -> [Block] { try await store.proofs(of: origin) }
    func revocations() async throws -> [Revocation] { try await store.revocations() }
    func blankChanges(limit: Int) async throws -> [ChangeRef] { try await store.blankChanges(limit: limit) }
    func blocks(refilling wanted: [ChangeRef]) async throws -> [Block] { try await store.blocks(refilling: wanted) }
}

/// One in-process site: a replica, optionally a sync listener on 127.0.0.1:0, and captured logs.
final class TestNode: Sendable {
    let store: ReplicaStore
    /// The store as sessions see it, counting what they apply.
    let replica: CountingReplica
    let configuration: SyncSession.Configuration
    let logs: InMemoryLogHandler
    let logger: Logger
    let server: SyncServer?
    private let serving: Task<Void, any Error>?

    init(store: ReplicaStore, configuration: SyncSession.Configuration, listen: Bool) async throws {
        self.store = store
        self.replica = CountingReplica(store)
        self.configuration = configuration
        let logs = InMemoryLogHandler()
        self.logs = logs
        var logger = Logger(label: "test.\(store.site)", factory: { _ in logs })
        logger.logLevel = .debug
        self.logger = logger
        if listen {
            let server = try await SyncServer.bind(
                host: "127.0.0.1",
                port: 0,
                replica: replica,
                configuration: configuration,
                logger: logger
            )
            self.server = server
            serving = Task { try await server.run() }
        } else {
            server = nil
            serving = nil
        }
    }

    /// A node for `site` with an in-memory replica (or one in `directory`), signing with its
    /// certificate's key like an enrolled site (`signed: false` makes a lone, unsigned replica);
    /// `clockOffset` (ms) sets the store's wall clock off (the sync session's clock is set by `configure`).
    static func make(
        _ site: String,
        pki: TestPKI,
        tlsSite: String? = nil,
        listen: Bool = true,
        batch: Int = 200,
        directory: URL? = nil,
        signed: Bool = true,
        clockOffset: Int64 = 0,
        configure: (inout SyncSession.Configuration) -> Void = { _ in }
    ) async throws -> TestNode {
        let code = try SiteCode(site)
        var storeConfiguration = ReplicaStore.Configuration()
        if signed { storeConfiguration.provenance = try pki.configuration(site).identity.provenance() }
        if clockOffset != 0 {
            // A site whose wall clock is `clockOffset` ms off (a laptop with a fast clock).
            storeConfiguration.now = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) + clockOffset }
        }
        let store: ReplicaStore =
            if let directory {
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("replica.sqlite").path)
                    ? try ReplicaStore.open(directory: directory, configuration: storeConfiguration)
                    : try ReplicaStore.create(directory: directory, site: code, name: nil, configuration: storeConfiguration)
            } else {
                try ReplicaStore.inMemory(site: code, configuration: storeConfiguration)
            }
        var configuration = try pki.configuration(tlsSite ?? site, batch: batch)
        configure(&configuration)
        return try await TestNode(store: store, configuration: configuration, listen: listen)
    }

    var port: Int { server?.port ?? 0 }

    /// One session with `peer`'s listener (or an explicit port, e.g. a proxy's).
    @discardableResult
    func sync(with peer: TestNode, port: Int? = nil) async throws -> SyncSummary {
        try await SyncClient.sync(
            replica: replica,
            host: "127.0.0.1",
            port: port ?? peer.port,
            configuration: configuration,
            logger: logger
        )
    }

    /// Commits `count` ticket-field edits in transactions of up to 500; a few rows are shared by all sites.
    func write(_ count: Int, tag: String = "") async throws {
        var left = count
        while left > 0 {
            let chunk = min(500, left)
            var edits: [FieldEdit] = []
            for index in 0..<chunk {
                let row = index % 10 == 0 ? "00000000-0000-0000-0000-00000000000\(index % 7)" : UUID().uuidString
                edits.append(
                    FieldEdit(
                        entity: "ticket",
                        rowID: row,
                        field: "summary",
                        value: .text("\(store.site) \(tag) \(left - index)")
                    )
                )
            }
            try await store.commit(edits)
            left -= chunk
        }
    }

    struct NotIdle: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits until the listener has ended more than `ended` sessions and has none in flight.
    ///
    /// After a cut or a refusal the client may be done before the listener's side of the session is.
    /// - Throws: `NotIdle` after 20 s, so a session that never ends fails the test.
    func waitIdle(after ended: Int? = nil) async throws {
        guard let server else { return }
        for _ in 0..<2000 {
            if server.sessionsInFlight == 0 && server.sessionsEnded > (ended ?? -1) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw NotIdle(
            description:
                "listener of \(store.site) not idle after 20 s: \(server.sessionsInFlight) sessions in flight, \(server.sessionsEnded) ended (waited for more than \(ended ?? -1))"
        )
    }

    /// Sessions the listener ended so far.
    var sessionsEnded: Int { server?.sessionsEnded ?? 0 }

    /// Log lines at `level` or above.
    func messages(atLeast level: Logger.Level) -> [String] {
        logs.entries.filter { $0.level >= level }.map {
            "\($0.message) \($0.metadata.map { "\($0.key)=\($0.value)" }.sorted())"
        }
    }

    func stop() async {
        server?.close()
        _ = await serving?.result
    }
}

/// The replicated state of a node, for equality checks.
struct Snapshot: Equatable, CustomStringConvertible {
    var digest: String
    var vector: VersionVector
    var changes: Int

    init(_ node: TestNode) async throws {
        digest = try await node.store.digest()
        vector = try await node.store.vector()
        changes = try await node.store.changeCount()
    }

    var description: String { "\(changes) changes \(vector) \(digest.prefix(12))" }
}
