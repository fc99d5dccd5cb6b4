import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// The read cache (Docs/performance.md, "Web queue"): what it answers equals a fresh read, at
/// any later `now`, after writes through the same store and after writes by another connection
/// to the same file (what another process, such as a CLI command next to `serve`, does).
extension QueueTests {
    func fileBacked(_ code: String, tickets: Int) async throws -> (ReplicaStore, URL) {
        let directory = temporaryDirectory()
        let store = try ReplicaStore.create(directory: directory, site: SiteCode(code), name: nil, configuration: clock.configuration)
        if tickets > 0 {
            _ = try await store.seed(.init(tickets: tickets, customers: 25, sites: ["HQ", "SH"], seed: 11, weeks: 3, batch: 97), actor: nil)
        }
        return (store, directory)
    }

    @Test func cachedQueueIsExactAsTimePassesAndAfterEveryWrite() async throws {
        let (store, directory) = try await fileBacked("HQ", tickets: 400)
        let other = try ReplicaStore.open(directory: directory, configuration: clock.configuration)
        // Later times move waiting tickets' due times, so kept candidates stop settling some queues.
        let times = [clock.now, clock.now + 3_600_000, clock.now + 86_400_000, clock.now + 3 * 86_400_000, clock.now + 60 * 86_400_000]
        let before = store.readCacheStatistics
        try await expectSameQueues(store, at: times)
        try await expectSameQueues(store, at: times)
        let after = store.readCacheStatistics
        // The second pass found every queue kept (the data did not change): it read nothing.
        #expect(after.hits - before.hits >= times.count * 36)

        // A write through this store, then one through another connection: the next call shows each.
        let top = try #require(try await store.slaQueue(.init(state: "acknowledged", limit: 1)).first)
        _ = try await store.transition(top.ticket.id, to: .pendingCustomer, event: "waiting for photos", actor: nil)
        #expect(try await store.slaQueue(.init(state: "acknowledged", limit: 50)).contains { $0.ticket.id == top.ticket.id } == false)
        let next = try #require(try await store.slaQueue(.init(state: "acknowledged", limit: 1)).first)
        _ = try await other.transition(next.ticket.id, to: .pendingCustomer, event: "waiting for the invoice", actor: nil)
        let waiting = try await store.slaQueue(.init(state: "pending-customer", limit: 10_000)).map(\.ticket.id)
        #expect(waiting.contains(top.ticket.id) && waiting.contains(next.ticket.id))
        _ = try await other.setSLA("standard", settings: ["first-response.normal=3h"], actor: nil)
        try await expectSameQueues(store, at: [clock.now, clock.now + 86_400_000])
    }

    @Test func keptCandidatesThatNoLongerSettleTheQueueAreReadAgain() async throws {
        let (store, _) = try await fileBacked("HQ", tickets: 0)
        _ = try await store.addCustomer(Customer(id: "C202405001", name: "Acme 物流", phone: "13800138000"), generateID: false, actor: nil)
        func draft(_ urgency: String, _ summary: String) -> TicketDraft {
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint/product", urgency: urgency, summary: summary)
        }
        let start = clock.now
        let urgent = try await store.createTicket(draft("urgent", "包裹丢失"), actor: nil)
        let normal = try await store.createTicket(draft("normal", "发票"), actor: nil)
        let later = try await store.createTicket(draft("normal", "地址"), actor: nil)
        let last = try await store.createTicket(draft("normal", "退款"), actor: nil)
        clock.advance(30 * 60_000)
        _ = try await store.transition(urgent.id, to: .pendingCustomer, event: "waiting for the customer", actor: nil)

        // Read at the pause: the urgent ticket and the next bound settle a one-row queue; a page (one row) of spare follows.
        let query = try QueueQuery(.init(limit: 1))
        let (kept, read) = try await store.writer.read { db in try QueueCandidates.read(query, now: self.clock.now, in: db) }
        #expect(read.map(\.ticket.id) == [urgent.id])
        #expect(kept.running.map(\.ticket.id) == [urgent.id, normal.id, later.id])
        #expect(!kept.complete)
        #expect(kept.select(now: clock.now)?.map(\.ticket.id) == [urgent.id])
        // A day later the pause has pushed the urgent due time past every normal one: the kept rows no longer settle it.
        let nextDay = start + 86_400_000
        #expect(kept.select(now: nextDay) == nil)

        #expect(try await store.slaQueue(.init(limit: 1), now: clock.now).map(\.ticket.id) == [urgent.id])
        let queue = try await store.slaQueue(.init(limit: 1), now: nextDay)
        #expect(queue.map(\.ticket.id) == [normal.id])
        #expect(queue == (try await referenceQueue(store, .init(limit: 1), now: nextDay)))
        #expect(try await store.slaQueue(.init(limit: 10), now: nextDay).map(\.ticket.id) == [normal.id, later.id, last.id, urgent.id])
    }

    @Test func usersReadThroughTheCacheSeeWritesByAnotherConnection() async throws {
        let (store, directory) = try await fileBacked("HQ", tickets: 0)
        let other = try ReplicaStore.open(directory: directory, configuration: clock.configuration)
        _ = try await store.saveUser(User(name: "admin", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "li", role: .agent), actor: "admin")
        try await store.authorize(.viewTickets, actor: "li")
        let hits = store.readCacheStatistics.hits
        try await store.authorize(.viewTickets, actor: "li")
        #expect(store.readCacheStatistics.hits > hits)

        _ = try await other.saveUser(User(name: "li", role: .agent, active: false), actor: "admin")
        #expect(try await store.user(named: "li")?.active == false)
        await #expect(throws: DomainError.self) { try await store.authorize(.viewTickets, actor: "li") }
        _ = try await other.saveUser(User(name: "li", role: .analyst), actor: "admin")
        #expect(try await store.user(named: "li")?.role == .analyst)
        await #expect(throws: DomainError.self) { try await store.authorize(.editTicket, actor: "li") }
    }

    /// `atOneVersion`: every cached read in it answers as of the version read when it began (saved
    /// views here), a write by another connection meanwhile shows on the next call outside it; and
    /// the pin is of its own store only.
    @Test func readsAtOneVersionShowTheDatabaseAsItBeganAndNoOtherStoreIsPinned() async throws {
        let (store, directory) = try await fileBacked("HQ", tickets: 0)
        let other = try ReplicaStore.open(directory: directory, configuration: clock.configuration)
        _ = try await store.saveUser(User(name: "admin", role: .admin), actor: nil)
        _ = try await store.saveView(name: "紧急", filter: .init(urgency: "urgent"), actor: "admin")
        let (second, _) = try await fileBacked("SH", tickets: 0)
        _ = try await second.saveUser(User(name: "admin", role: .admin), actor: nil)
        try await store.atOneVersion {
            #expect(try await store.views(owner: "admin").map(\.name) == ["紧急"])
            _ = try await other.saveView(name: "冷链", filter: .init(search: "冷链"), actor: "admin")
            #expect(try await store.views(owner: "admin").map(\.name) == ["紧急"], "as of the version the page began at")
            // Another store in the same task is not pinned: it sees its own write at once.
            _ = try await second.saveView(name: "退款", filter: .init(search: "退款"), actor: "admin")
            #expect(try await second.views(owner: "admin").map(\.name) == ["退款"])
        }
        #expect(Set(try await store.views(owner: "admin").map(\.name)) == ["紧急", "冷链"])
    }

    @Test func inMemoryStoresKeepNothing() async throws {
        let store = try await seeded("HQ", tickets: 40)
        _ = try await store.slaQueue(.init(limit: 10))
        _ = try await store.slaQueue(.init(limit: 10))
        #expect(store.readCacheStatistics.hits == 0)
    }
}
