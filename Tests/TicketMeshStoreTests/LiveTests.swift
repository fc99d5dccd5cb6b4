import Foundation
import Synchronization
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// The commit notification behind the web UI's live updates (`CommitFeed`, Docs/web.md "Live
/// updates"; issue 16 item 2) and the stale-reply guard (`addEntry(expectedVersion:)`).
@Suite struct LiveTests {
    let clock = WorkflowFixture.Clock(WorkflowFixture.start)

    /// Collects what a subscription receives, so a test can wait for the n-th commit with a deadline.
    final class Collector: Sendable {
        private let received = Mutex<[CommitFeed.Commit]>([])
        private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

        init(_ feed: CommitFeed) {
            let stream = feed.subscribe()
            let task = Task { [weak self] in
                for await commit in stream { self?.received.withLock { $0.append(commit) } }
            }
            self.task.withLock { $0 = task }
        }

        var commits: [CommitFeed.Commit] { received.withLock { $0 } }

        /// The `count`-th commit received, waiting up to `seconds` for it; nil if it did not come.
        func commit(_ count: Int, within seconds: Double) async -> CommitFeed.Commit? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let commit = received.withLock({ $0.count >= count ? $0[count - 1] : nil }) { return commit }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }

        func stop() { task.withLock { $0?.cancel() } }
    }

    @Test func aLocalCommitIsAnnouncedAtOnceAndARefusedCommandIsNot() async throws {
        let store = try WorkflowFixture.site("HQ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        let feed = store.commitFeed()
        let collector = Collector(feed)
        defer { collector.stop() }
        while feed.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }

        // Refused inside its write transaction (a new ticket cannot be rated): rolled back, nothing announced.
        await #expect(throws: DomainError.self) { try await store.rate(ticket.id, score: 1, comment: nil, actor: nil) }
        _ = try await store.addEntry(ticket.id, kind: .reply, body: "we are on it", actor: nil)
        let started = Date()
        let first = try #require(await collector.commit(1, within: 1))
        #expect(first.source == .thisProcess)
        #expect(first.sequence == 1)  // the refused command announced nothing before it
        #expect(Date().timeIntervalSince(started) < 1)

        // A read is no commit.
        _ = try await store.entries(ticketID: ticket.id)
        #expect(await collector.commit(2, within: 0.3) == nil)
    }

    @Test func aSyncBatchIsAnnounced() async throws {
        let hq = try WorkflowFixture.site("HQ", clock: clock)
        let sh = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: hq)
        try await WorkflowFixture.sync(hq, sh)
        let feed = hq.commitFeed()
        let collector = Collector(feed)
        defer { collector.stop() }
        while feed.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        _ = try await sh.addEntry(ticket.id, kind: .reply, body: "reply from Shanghai", actor: nil)
        try await deliverAll(from: sh, to: hq)
        let commit = try #require(await collector.commit(1, within: 1))
        #expect(commit.source == .thisProcess)
        #expect(try await hq.entries(ticketID: ticket.id).contains { $0.body == "reply from Shanghai" })
    }

    @Test func aCommitByAnotherConnectionToTheFileIsAnnouncedAsOtherProcess() async throws {
        let directory = temporaryDirectory()
        let clock = self.clock
        let configuration = ReplicaStore.Configuration(now: { clock.now }, timeZone: TimeZone(identifier: "UTC")!)
        let web = try ReplicaStore.create(directory: directory, site: SiteCode("HQ"), name: nil, configuration: configuration)
        // A second store on the same file: its own pool and connections, as a CLI process has.
        let cli = try ReplicaStore.open(directory: directory, configuration: configuration)
        let feed = web.commitFeed(externalInterval: .milliseconds(50))
        let collector = Collector(feed)
        defer { collector.stop() }
        while feed.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let ticket = try await WorkflowFixture.ticket(on: cli)
        // Two transactions (customer, ticket): polled every 50 ms, one or two announcements.
        let commit = try #require(await collector.commit(1, within: 1))
        #expect(commit.source == .otherProcess)
        #expect(try await web.ticket(ticket.id).summary == "parcel lost")

        // This process's own commit is announced once, by the observer, not again by the poll.
        try await Task.sleep(for: .milliseconds(200))
        let seen = collector.commits.count
        #expect(collector.commits.allSatisfy { $0.source == .otherProcess })
        _ = try await web.addEntry(ticket.id, kind: .note, body: "checked", actor: nil)
        let own = try #require(await collector.commit(seen + 1, within: 1))
        #expect(own.source == .thisProcess)
        #expect(await collector.commit(seen + 2, within: 0.3) == nil)
    }

    @Test func droppedSubscriptionsAreForgotten() async throws {
        let store = try WorkflowFixture.site("HQ", clock: clock)
        let feed = store.commitFeed()
        let task = Task {
            for await _ in feed.subscribe() {}
        }
        while feed.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.value
        #expect(feed.subscriberCount == 0)
    }

    @Test func aStaleReplyIsRefusedWithTheCurrentVersionAndNothingWritten() async throws {
        let hq = try WorkflowFixture.site("HQ", clock: clock)
        let sh = try WorkflowFixture.site("SH", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: hq)
        try await WorkflowFixture.sync(hq, sh)
        let seen = try await hq.ticketVersion(ticket.number)
        #expect(try await sh.ticketVersion(ticket.id) == seen)  // the same version at both sites

        // The ticket is current: the reply goes in and moves the version.
        clock.advance(minutes: 1)
        _ = try await hq.addEntry(ticket.id, kind: .reply, body: "first reply", expectedVersion: seen, actor: nil)
        let afterReply = try await hq.ticketVersion(ticket.id)
        #expect(afterReply != seen)

        // A colleague at another site writes; once it arrives here, the old version is stale.
        clock.advance(minutes: 1)
        try await WorkflowFixture.sync(hq, sh)
        _ = try await sh.addEntry(ticket.id, kind: .note, body: "customer called again", actor: nil)
        try await deliverAll(from: sh, to: hq)
        let current = try await hq.ticketVersion(ticket.id)
        #expect(current != afterReply)
        #expect(current.hasSuffix(".SH"))
        let before = try await hq.changeCount()
        let error = await #expect(throws: StaleTicketError.self) {
            try await hq.addEntry(ticket.id, kind: .reply, body: "second reply", expectedVersion: afterReply, actor: nil)
        }
        #expect(error?.current == current)
        #expect(error?.expected == afterReply)
        #expect(error?.description.contains("expectedVersion") == true)
        #expect(try await hq.changeCount() == before)
        #expect(try await hq.entries(ticketID: ticket.id).contains { $0.body == "second reply" } == false)

        // Confirmed with the version the refusal named: written.
        _ = try await hq.addEntry(ticket.id, kind: .reply, body: "second reply", expectedVersion: current, actor: nil)
        #expect(try await hq.entries(ticketID: ticket.id).contains { $0.body == "second reply" })
        // Without a version there is no check (the CLI and older clients).
        _ = try await hq.addEntry(ticket.id, kind: .note, body: "unchecked", expectedVersion: nil, actor: nil)
    }

    @Test func aFieldChangeMovesTheVersionToo() async throws {
        let store = try WorkflowFixture.site("HQ", clock: clock)
        let ticket = try await WorkflowFixture.ticket(on: store)
        let seen = try await store.ticketVersion(ticket.id)
        clock.advance(minutes: 1)
        _ = try await store.updateTicket(ticket.id, fields: ["summary": "parcel lost twice"], actor: nil)
        await #expect(throws: StaleTicketError.self) {
            try await store.addEntry(ticket.id, kind: .note, body: "late", expectedVersion: seen, actor: nil)
        }
    }
}
