import Foundation
import InMemoryLogging
import Logging
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

@testable import TicketMeshSync

/// `PeerBook`'s lag as computed from the vectors it stored, and `PeerScheduler`'s back-off
/// measured on real dials (issue 18 item 14): nothing here injects the value it checks.
@Suite(.timeLimit(.minutes(3))) struct PeerSchedulingTests {
    static func directory(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tm-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func vector(_ entries: [String: Int64]) -> VersionVector {
        VersionVector(Dictionary(uniqueKeysWithValues: entries.map { (SiteCode(trusted: $0.key), $0.value) }))
    }

    static func summary(peer: String, vector: VersionVector) -> SyncSummary {
        SyncSummary(
            peer: peer, address: "127.0.0.1:1", sent: 2, received: 3, duplicatesReceived: 0, refusedReceived: 0, duplicatesSent: 0,
            bytesSent: 10, bytesReceived: 20, seconds: 0.1, peerVector: vector)
    }

    // MARK: PeerBook

    @Test func lagCountsOnlyWhatThePeerLacksPerOrigin() async throws {
        let directory = Self.directory("book")
        defer { try? FileManager.default.removeItem(at: directory) }
        let book = PeerBook(directory: directory)
        // The peer is ahead of us on BJ and has never seen GZ.
        await book.recordSuccess(Self.summary(peer: "BJ", vector: Self.vector(["SH": 7, "BJ": 9])), dialed: "10.0.0.2:7000")
        let ours = Self.vector(["SH": 10, "BJ": 5, "GZ": 3])
        let status = try #require(PeerBook.status(directory: directory, vector: ours).first)
        #expect(status.peer == "10.0.0.2:7000" && status.site == "BJ" && status.address == "10.0.0.2:7000")
        #expect(status.lag == 3 + 0 + 3)
        #expect(status.lastError == nil && status.lastSync != nil)
        // Caught up: no lag, even though the peer holds more than we do.
        #expect(PeerBook.status(directory: directory, vector: Self.vector(["SH": 7, "BJ": 1])).first?.lag == 0)
    }

    @Test func aFailureKeepsTheLastVectorAndAPeerThatNeverSyncedHasNoLag() async throws {
        let directory = Self.directory("book")
        defer { try? FileManager.default.removeItem(at: directory) }
        let book = PeerBook(directory: directory)
        await book.recordSuccess(Self.summary(peer: "BJ", vector: Self.vector(["SH": 4])), dialed: nil)
        await book.recordFailure(address: "10.0.0.9:7000", site: nil, error: "refused", dialed: true)
        // A second book on the same directory (a restarted `serve`) starts from the file.
        let reopened = PeerBook(directory: directory)
        await reopened.recordFailure(address: "10.0.0.2:51000", site: "BJ", error: "link cut", dialed: false)
        let status = PeerBook.status(directory: directory, vector: Self.vector(["SH": 6, "BJ": 2]))
        #expect(status.map(\.peer) == ["10.0.0.9:7000", "BJ"])
        let dialed = status[0]
        #expect(dialed.lag == nil && dialed.lastSync == nil && dialed.lastError == "refused")
        let accepted = status[1]
        #expect(accepted.lag == 2 + 2)
        #expect(accepted.lastError == "link cut" && accepted.lastSync != nil && accepted.address == nil)
    }

    @Test func lagAfterARealSessionCountsTheChangesMadeSince() async throws {
        let pki = Self.directory("pki")
        defer { try? FileManager.default.removeItem(at: pki) }
        let ca = try CertificateAuthority.create(organization: "Acme", directory: pki.appendingPathComponent("ca"))
        try ca.writeSite(SiteCode("SH"), to: pki.appendingPathComponent("sh"))
        try ca.writeSite(SiteCode("BJ"), to: pki.appendingPathComponent("bj"))
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"))
        let bj = try ReplicaStore.inMemory(site: SiteCode("BJ"))
        _ = try await sh.addCustomer(Customer(id: "C202405001", name: "Acme"), generateID: false, actor: nil)
        let logger = Logger(label: "test.lag", factory: { _ in InMemoryLogHandler() })
        let server = try await SyncServer.bind(
            host: "127.0.0.1", port: 0, replica: bj,
            configuration: SyncSession.Configuration(identity: try SiteIdentity.load(directory: pki.appendingPathComponent("bj"))),
            logger: logger)
        let serving = Task { try await server.run() }
        defer {
            server.close()
            serving.cancel()
        }
        let book = PeerBook(directory: pki)
        let summary = try await SyncClient.sync(
            replica: sh, host: "127.0.0.1", port: server.port,
            configuration: SyncSession.Configuration(identity: try SiteIdentity.load(directory: pki.appendingPathComponent("sh"))),
            logger: logger)
        await book.recordSuccess(summary, dialed: "127.0.0.1:\(server.port)")
        #expect(PeerBook.status(directory: pki, vector: try await sh.vector()).first?.lag == 0)
        let before = try await sh.changeCount()
        _ = try await sh.addCustomer(Customer(id: "C202405002", name: "Beta"), generateID: false, actor: nil)
        let made = try await sh.changeCount() - before
        #expect(made > 0)
        #expect(PeerBook.status(directory: pki, vector: try await sh.vector()).first?.lag == made)
    }

    // MARK: PeerScheduler

    /// The `retry.after` delays the scheduler logged, in milliseconds, in order.
    static func retryDelays(_ logs: InMemoryLogHandler) -> [Double] {
        logs.entries.filter { $0.message.description == "Sync with peer failed; retrying" }.compactMap { entry -> Double? in
            // `Duration`'s description, e.g. "0.04 seconds".
            guard let value = entry.metadata["retry.after"] else { return nil }
            let text = "\(value)"
            guard text.hasSuffix(" seconds"), let seconds = Double(text.dropLast(" seconds".count)) else { return nil }
            return seconds * 1000
        }
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<2_000 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        try #require(condition())
    }

    @Test func backOffDoublesPerFailureUpToTheCapAndASuccessResetsIt() async throws {
        let pki = Self.directory("pki")
        defer { try? FileManager.default.removeItem(at: pki) }
        let ca = try CertificateAuthority.create(organization: "Acme", directory: pki.appendingPathComponent("ca"))
        try ca.writeSite(SiteCode("SH"), to: pki.appendingPathComponent("sh"))
        try ca.writeSite(SiteCode("BJ"), to: pki.appendingPathComponent("bj"))
        let bjConfiguration = SyncSession.Configuration(identity: try SiteIdentity.load(directory: pki.appendingPathComponent("bj")))
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"))
        let bj = try ReplicaStore.inMemory(site: SiteCode("BJ"))
        let quiet = Logger(label: "test.server", factory: { _ in InMemoryLogHandler() })
        // A port nobody listens on: bind one, note it, close it.
        let probe = try await SyncServer.bind(host: "127.0.0.1", port: 0, replica: bj, configuration: bjConfiguration, logger: quiet)
        let port = probe.port
        probe.close()
        try await Task.sleep(for: .milliseconds(50))

        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test.scheduler", factory: { _ in logs })
        logger.logLevel = .debug
        let book = PeerBook(directory: pki)
        let scheduler = PeerScheduler(
            peers: [PeerScheduler.Peer(host: "127.0.0.1", port: port)], replica: sh,
            configuration: SyncSession.Configuration(identity: try SiteIdentity.load(directory: pki.appendingPathComponent("sh"))),
            logger: logger, book: book, interval: .milliseconds(30),
            backoff: Backoff(base: .milliseconds(40), cap: .milliseconds(160)))
        let running = Task { try await scheduler.run() }
        defer { running.cancel() }

        try await Self.waitFor { Self.retryDelays(logs).count >= 5 }
        let down = Self.retryDelays(logs)
        // min(cap, base·2^(n−1)) scaled by a jitter in [0.5, 1].
        let ceilings: [Double] = [40, 80, 160, 160, 160]
        for (delay, ceiling) in zip(down, ceilings) {
            #expect(delay >= ceiling / 2 && delay <= ceiling, "delay \(delay) ms outside [\(ceiling / 2), \(ceiling)] ms")
        }
        let failed = try #require(PeerBook.status(directory: pki, vector: try await sh.vector()).first)
        #expect(failed.peer == "127.0.0.1:\(port)" && failed.lastSync == nil && failed.lag == nil)
        #expect(failed.lastError?.contains("cannot connect to peer 127.0.0.1:\(port)") == true)

        // The peer comes up on that port: the next dial succeeds.
        let server = try await SyncServer.bind(host: "127.0.0.1", port: port, replica: bj, configuration: bjConfiguration, logger: quiet)
        let serving = Task { try await server.run() }
        try await Self.waitFor { logs.entries.contains { $0.message.description == "Synced with peer" } }
        let failuresWhileDown = Self.retryDelays(logs).count
        // And goes away again: the first failure after the success waits about `base` again.
        server.close()
        _ = await serving.result
        try await Self.waitFor { Self.retryDelays(logs).count > failuresWhileDown }
        let afterReset = Self.retryDelays(logs)[failuresWhileDown]
        #expect(afterReset >= 20 && afterReset <= 40, "first delay after a success was \(afterReset) ms, not base-scaled")
        let synced = try #require(PeerBook.status(directory: pki, vector: try await sh.vector()).first)
        #expect(synced.lastSync != nil && synced.site == "BJ" && synced.lag == 0)
    }
}
