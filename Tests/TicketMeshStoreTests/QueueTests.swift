import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// The SLA queue read through the `slaDueAt` index equals the full computation it replaced.
@Suite struct QueueTests {
    let clock = ManualClock()

    /// The queue as it was computed before v4-queue: every matching ticket's clocks from its history in the log.
    func referenceQueue(_ store: ReplicaStore, _ filter: ReplicaStore.TicketFilter, now: Int64) async throws -> [QueueItem] {
        try await store.writer.read { db in
            var sql = "SELECT * FROM ticket WHERE number IS NOT NULL"
            var arguments: [DatabaseValue] = []
            if let state = filter.state {
                sql += " AND state = ?"
                arguments.append(state.databaseValue)
            } else {
                sql += " AND state != 'closed'"
            }
            for (column, value) in [("urgency", filter.urgency), ("assignee", filter.assignee), ("customerId", filter.customerId)] {
                if let value {
                    sql += " AND \(column) = ?"
                    arguments.append(value.databaseValue)
                }
            }
            let policy = try ReplicaStore.slaPolicy(named: try ReplicaStore.activePolicyName(in: db), in: db)
            let items = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                let ticket = ReplicaStore.ticket(from: row)
                let clocks = SLAEngine.clocks(for: try ReplicaStore.history(of: ticket, in: db), policy: policy, now: now)
                return QueueItem(ticket: ticket, clocks: clocks, nextDueAt: clocks.filter { $0.stoppedAt == nil }.map(\.dueAt).min())
            }
            let sorted = items.sorted { lhs, rhs in
                switch (lhs.nextDueAt, rhs.nextDueAt) {
                case let (left?, right?): return (left, lhs.ticket.number) < (right, rhs.ticket.number)
                case (.some, .none): return true
                case (.none, .some): return false
                case (.none, .none):
                    return (lhs.ticket.registeredAt, lhs.ticket.number) > (rhs.ticket.registeredAt, rhs.ticket.number)
                }
            }
            return Array(sorted.prefix(filter.limit))
        }
    }

    /// Filters that cover every index and the no-clock tail, at several page sizes.
    func filters(_ store: ReplicaStore) async throws -> [ReplicaStore.TicketFilter] {
        let any = try await store.tickets(matching: .init(limit: 5)).first
        var result: [ReplicaStore.TicketFilter] = []
        for limit in [1, 7, 50, 10_000] {
            result += [
                .init(limit: limit), .init(state: "pending-customer", limit: limit), .init(state: "closed", limit: limit),
                .init(state: "resolved", limit: limit), .init(state: "reopened", limit: limit),
                .init(urgency: "urgent", limit: limit), .init(assignee: any?.assignee, limit: limit),
                .init(customerId: any?.customerId, limit: limit),
                .init(state: "in-progress", urgency: "normal", limit: limit),
            ]
        }
        return result
    }

    func expectSameQueues(_ store: ReplicaStore, at times: [Int64], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for now in times {
            for filter in try await filters(store) {
                let queue = try await store.slaQueue(filter, now: now)
                let reference = try await referenceQueue(store, filter, now: now)
                #expect(queue.map(\.ticket.number) == reference.map(\.ticket.number), sourceLocation: sourceLocation)
                #expect(queue == reference, sourceLocation: sourceLocation)
            }
        }
    }

    func seeded(_ code: String, tickets: Int = 400) async throws -> ReplicaStore {
        let store = try ReplicaStore.inMemory(site: SiteCode(code), configuration: clock.configuration)
        _ = try await store.seed(.init(tickets: tickets, customers: 25, sites: ["HQ", "SH"], seed: 11, weeks: 3, batch: 97), actor: nil)
        return store
    }

    @Test func queueEqualsTheFullComputationOnAVariedReplica() async throws {
        let store = try await seeded("HQ")
        // The seeded histories cover what moves clocks: pauses, reopenings, escalations, replies, follow-ups.
        let states = try await store.writer.read { db in
            try String.fetchSet(db, sql: "SELECT DISTINCT value FROM change WHERE entity = 'ticket' AND field = 'state'")
        }
        #expect(states.isSuperset(of: ["pending-customer", "reopened", "escalated", "resolved", "closed"]))
        // Resolved with a follow-up (stops the follow-up clock), and one reopened after it.
        let resolved = try await store.slaQueue(.init(state: "resolved", limit: 4))
        try #require(resolved.count == 4)
        clock.advance(60_000)
        for item in resolved { _ = try await store.followUp(item.ticket.id, result: "满意 satisfied", actor: nil) }
        _ = try await store.transition(resolved[0].ticket.id, to: .reopened, event: "again", actor: nil)
        try await expectSameQueues(store, at: [clock.now, clock.now + 3 * 86_400_000, clock.now + 60 * 86_400_000])
    }

    /// `slaQueuePage`'s horizon: up to just before it, the full computation gives the same rows, in
    /// the same order, with the same due times and badges (what the queue page keeps, R3.3); a row
    /// waiting on the customer gives no horizon. And the horizon is not idle: badges do change.
    @Test func queueHorizonHoldsTheSameRowsDueTimesAndBadges() async throws {
        let store = try await seeded("HQ")
        func shown(_ items: [QueueItem]) -> [String] {
            items.map { "\($0.ticket.number) \($0.nextDueAt.map(String.init) ?? "-") \($0.breached) \($0.atRisk)" }
        }
        var horizons = 0
        var changedAfter = 0
        for start in [clock.now, clock.now + 5 * 3_600_000, clock.now + 2 * 86_400_000] {
            for filter in try await filters(store) {
                let (items, until) = try await store.slaQueuePage(filter, now: start)
                #expect(shown(items) == shown(try await referenceQueue(store, filter, now: start)))
                let waiting = items.contains { $0.ticket.state == "pending-customer" && $0.clocks.contains { $0.stoppedAt == nil } }
                guard let until else {
                    #expect(waiting, "no horizon only for a row whose due time moves: \(filter)")
                    continue
                }
                #expect(!waiting && until > start)
                horizons += 1
                guard until < .max else { continue }
                for later in [start + (until - start) / 2, until - 1] {
                    #expect(shown(try await referenceQueue(store, filter, now: later)) == shown(items), "\(filter) at +\(later - start) ms")
                }
                if shown(try await referenceQueue(store, filter, now: until + 86_400_000)) != shown(items) { changedAfter += 1 }
            }
        }
        #expect(horizons > 20 && changedAfter > 5, "\(horizons) horizons, \(changedAfter) changed after")
    }

    @Test func queueStaysExactAfterSyncEditsAndRebuild() async throws {
        let hq = try await seeded("HQ", tickets: 250)
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        try await deliverAll(from: hq, to: sh)
        try await expectSameQueues(sh, at: [clock.now])
        #expect(try await sh.queryTablesDump() == hq.queryTablesDump())

        // Work at SH (pause, reply, reopen), then a policy change at HQ, crossing in sync.
        clock.advance(3_600_000)
        let working = try await sh.slaQueue(.init(limit: 100)).filter {
            TicketState(rawValue: $0.ticket.state)?.allowedNext.contains(.pendingCustomer) == true
        }
        try #require(working.count >= 2)
        _ = try await sh.transition(working[0].ticket.id, to: .pendingCustomer, event: "waiting for photos", actor: nil)
        _ = try await sh.addEntry(working[1].ticket.id, kind: .reply, body: "on it", actor: nil)
        let resolved = try #require(try await sh.slaQueue(.init(state: "resolved", limit: 1)).first)
        _ = try await sh.transition(resolved.ticket.id, to: .reopened, event: "not fixed", actor: nil)
        _ = try await hq.setSLA("standard", settings: ["first-response.urgent=45m"], actor: nil)
        try await deliverAll(from: sh, to: hq)
        try await deliverAll(from: hq, to: sh)
        #expect(try await sh.digest() == hq.digest())
        #expect(try await sh.queryTablesDump() == hq.queryTablesDump())
        try await expectSameQueues(hq, at: [clock.now, clock.now + 2 * 86_400_000])

        let before = try await hq.queryTablesDump()
        try await hq.rebuildFromLog()
        #expect(try await hq.queryTablesDump() == before)
        try await expectSameQueues(hq, at: [clock.now])
    }

    @Test func pausedTicketFallsBehindAsItsDueTimeMoves() async throws {
        let store = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        _ = try await store.addCustomer(Customer(id: "C202405001", name: "Acme 物流", phone: "13800138000"), generateID: false, actor: nil)
        func draft(_ urgency: String) -> TicketDraft {
            TicketDraft(customerId: "C202405001", channel: "phone", type: "complaint/product", urgency: urgency, summary: "包裹 \(urgency)")
        }
        let start = clock.now
        let urgent = try await store.createTicket(draft("urgent"), actor: nil)
        let normal = try await store.createTicket(draft("normal"), actor: nil)
        clock.advance(30 * 60_000)
        _ = try await store.transition(urgent.id, to: .pendingCustomer, event: "waiting for the customer", actor: nil)
        let early = try await store.slaQueue(.init(limit: 10), now: clock.now)
        #expect(early.map(\.ticket.id) == [urgent.id, normal.id])
        // A day later the urgent ticket's first-response due time has moved with its pause, past the normal one's.
        let later = start + 86_400_000
        let queue = try await store.slaQueue(.init(limit: 10), now: later)
        #expect(queue.map(\.ticket.id) == [normal.id, urgent.id])
        #expect(try await store.slaQueue(.init(limit: 1), now: later).map(\.ticket.id) == [normal.id])
        #expect(queue == (try await referenceQueue(store, .init(limit: 10), now: later)))
        // The stored bound did not move: it is the due time counting no pause.
        let stored = try await store.writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT slaDueAt FROM ticket WHERE id = ?", arguments: [urgent.id])
        }
        #expect(stored.map { $0 < queue[1].nextDueAt! } == true)
    }

    @Test func historyEventsRoundTrip() async throws {
        let store = try await seeded("HQ", tickets: 120)
        try await store.writer.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT * FROM ticket WHERE number IS NOT NULL") {
                let ticket = ReplicaStore.ticket(from: row)
                let fromLog = try ReplicaStore.history(of: ticket, in: db)
                #expect(try SLADerivation.history(of: ticket, row: row, in: db) == fromLog)
                #expect(row["slaEvents"] as Data? == Data(fromLog.events))
            }
        }
    }
}

@Test(arguments: [
    [:], ["order": "SO123"], ["order": "SO123", "物流": "顺丰 SF 123"], ["quote": "a \"b\" c\\d", "slash": "x/y"],
])
func refsRoundTripThroughTheFastDecoder(refs: [String: String]) {
    #expect(ReplicaStore.decodeRefs(ReplicaStore.encodeRefs(refs)) == refs)
}

@Test func refsDecoderRefusesWhatIsNotAnObjectOfStrings() {
    for text in ["", "[]", "{\"a\":1}", "{\"a\":\"b\"", "{\"a\":\"b\"} x", "null"] {
        #expect(ReplicaStore.decodeRefs(text) == [:])
    }
    #expect(ReplicaStore.decodeRefs(" { \"a\" : \"b\" , \"c\":\"\" } ") == ["a": "b", "c": ""])
}
