import Foundation
import GRDB
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// Issue 16 item 1 in the store: queue filters, sorts, the search box (Chinese and English, the
/// knowledge base's tokenizer rules, read rights), saved views and bulk actions.
@Suite struct QueueSearchTests {
    let clock = ManualClock()

    /// A site with two customers, three tickets of different channels, types and urgencies, and a log.
    func site() async throws -> (ReplicaStore, [Ticket]) {
        let store = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        _ = try await store.addCustomer(Customer(id: "C0001", name: "顺丰速运"), generateID: false, actor: nil)
        _ = try await store.addCustomer(Customer(id: "C0002", name: "Acme Trading"), generateID: false, actor: nil)
        let parcel = try await store.createTicket(
            TicketDraft(customerId: "C0001", channel: "phone", type: "complaint/product", urgency: "urgent", summary: "包裹丢失"),
            actor: nil)
        clock.advance(60_000)
        let refund = try await store.createTicket(
            TicketDraft(
                customerId: "C0002", channel: "email", type: "consultation/product", urgency: "normal", summary: "Refund request",
                details: "Customer wants the refund on the original card"),
            actor: nil)
        clock.advance(60_000)
        let invoice = try await store.createTicket(
            TicketDraft(
                customerId: "C0002", channel: "chat", type: "complaint/service", urgency: "important", summary: "发票抬头错误",
                details: "客户电话 13912345678，身份证 11010519491231002X"),
            actor: nil)
        _ = try await store.addEntry(refund.id, kind: .note, body: "已联系物流公司核实", actor: nil)
        _ = try await store.addEntry(parcel.id, kind: .reply, body: "We are tracking the courier now", actor: nil)
        _ = try await store.assign(invoice.id, to: "li.wei", tier: nil, department: "finance", actor: nil)
        return (store, [parcel, refund, invoice])
    }

    func numbers(_ items: [QueueItem]) -> [String] { items.map(\.ticket.number) }

    /// R4.3 in the queue: each filter narrows to the tickets it names, alone and together.
    @Test func eachFilterNarrowsTheQueue() async throws {
        let (store, tickets) = try await site()
        let (parcel, refund, invoice) = (tickets[0].number, tickets[1].number, tickets[2].number)
        #expect(Set(numbers(try await store.queue(.init()))) == [parcel, refund, invoice])
        #expect(numbers(try await store.queue(.init(channel: "email"))) == [refund])
        #expect(numbers(try await store.queue(.init(channel: "CHAT"))) == [invoice])
        #expect(Set(numbers(try await store.queue(.init(type: "complaint")))) == [parcel, invoice])
        #expect(numbers(try await store.queue(.init(type: "complaint/service"))) == [invoice])
        #expect(try await store.queue(.init(type: "compl")).isEmpty, "a type matches whole path segments")
        #expect(numbers(try await store.queue(.init(department: "finance"))) == [invoice])
        #expect(numbers(try await store.queue(.init(assignee: "li.wei"))) == [invoice])
        #expect(Set(numbers(try await store.queue(.init(customerId: "C0002")))) == [refund, invoice])
        #expect(numbers(try await store.queue(.init(customerId: "C0002", channel: "email"))) == [refund])
        #expect(try await store.queue(.init(urgency: "urgent", channel: "email")).isEmpty)
        let refused = await #expect(throws: DomainError.self) { try await store.queue(.init(channel: "fax")) }
        #expect(refused?.message.contains("channel 'fax'") == true)
    }

    /// Breached / at risk: only tickets whose clocks are so at the time asked.
    @Test func clockFilterKeepsBreachedTickets() async throws {
        let (store, tickets) = try await site()
        #expect(try await store.queue(.init(clock: .breached)).isEmpty)
        // Thirty days on, every first-response clock is past due.
        let later = clock.now + 30 * 86_400_000
        let breached = try await store.queue(.init(clock: .breached), now: later)
        #expect(Set(numbers(breached)) == Set(tickets.map(\.number)))
        #expect(breached.allSatisfy { $0.breached })
        #expect(numbers(try await store.queue(.init(urgency: "urgent", clock: .attention), now: later)) == [tickets[0].number])
    }

    /// Sortable columns: each key in both directions, and the default the SLA queue.
    @Test func sortsByEachColumnBothWays() async throws {
        let (store, tickets) = try await site()
        let (parcel, refund, invoice) = (tickets[0].number, tickets[1].number, tickets[2].number)
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.urgency)))) == [parcel, invoice, refund])
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.urgency, descending: true)))) == [refund, invoice, parcel])
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.registered)))) == [parcel, refund, invoice])
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.registered, descending: true)))) == [invoice, refund, parcel])
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.number)))) == [parcel, refund, invoice].sorted())
        #expect(try await store.queue(.init(sort: QueueSort(.assignee))).first?.ticket.number == invoice)
        let due = try await store.queue(.init())
        #expect(numbers(try await store.queue(.init(sort: QueueSort(.due, descending: true)))) == Array(numbers(due).reversed()))
        #expect(try QueueSort(parsing: "-urgency") == QueueSort(.urgency, descending: true))
        let refused = #expect(throws: DomainError.self) { try QueueSort(parsing: "colour") }
        #expect(refused?.message.contains("invalid sort 'colour'") == true)
    }

    /// The search box: number, customer, summary, details, notes and replies; Chinese words of two
    /// characters by substring, longer ones through the trigram index; English ignoring case.
    @Test func searchFindsEveryTextOfATicket() async throws {
        let (store, tickets) = try await site()
        let (parcel, refund, invoice) = (tickets[0].number, tickets[1].number, tickets[2].number)
        func search(_ words: String) async throws -> Set<String> { Set(numbers(try await store.queue(.init(search: words)))) }
        #expect(try await search("物流") == [refund], "a 2-character Chinese word in a note")
        #expect(try await search("物流公司") == [refund], "a longer one through the index")
        #expect(try await search("丢失") == [parcel], "summary")
        #expect(try await search("顺丰") == [parcel], "customer name, 2 characters")
        #expect(try await search("顺丰速运") == [parcel], "customer name, indexed")
        #expect(try await search("acme") == [refund, invoice], "customer name ignoring case")
        #expect(try await search("ORIGINAL card") == [refund], "details, every word")
        #expect(try await search("courier") == [parcel], "a reply")
        #expect(try await search(invoice) == [invoice], "the number")
        #expect(try await search("refund 物流") == [refund], "words in different texts of one ticket")
        #expect(try await search("refund 丢失").isEmpty, "words in different tickets")
        #expect(try await search("天气").isEmpty)
        #expect(try await search("acme").count == 2)
        #expect(try await store.queue(.init(channel: "chat", search: "acme")).map(\.ticket.number) == [invoice])
        await #expect(throws: DomainError.self) { try await store.queue(.init(search: " \0 ")) }
        await #expect(throws: DomainError.self) { try await store.queue(.init(search: String(repeating: "a ", count: 11))) }
        // The list newest first filters the same way.
        #expect(try await store.tickets(matching: .init(search: "物流")).map(\.number) == [refund])
    }

    /// Read rights: a number a masked read redacts cannot be searched for, by any role (a search
    /// is no audited reveal); the masked text itself can.
    @Test func aSearchTermInMaskedDataDoesNotMatch() async throws {
        let (store, tickets) = try await site()
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "agent", role: .agent), actor: "root")
        let invoice = tickets[2]
        // Stored in clear: the raw table has it.
        #expect(try await store.ticket(invoice.id).details?.contains("13912345678") == true)
        for words in ["13912345678", "11010519491231002X", "1391234", "1231002x"] {
            #expect(try await store.queue(.init(search: words)).isEmpty, "\(words)")
        }
        // What the agent reads is searchable.
        let shown = try #require(Disclosure.masked.ticket(try await store.ticket(invoice.id)).details)
        #expect(!shown.contains("13912345678"))
        #expect(numbers(try await store.queue(.init(search: "发票"))) == [invoice.number])
        // A note written later with a phone number: the note is found by its words, never by the number.
        _ = try await store.addEntry(invoice.id, kind: .note, body: "回拨 13800138000 已确认", actor: "agent")
        #expect(numbers(try await store.queue(.init(search: "回拨"))) == [invoice.number])
        #expect(try await store.queue(.init(search: "13800138000")).isEmpty)
    }

    /// The index follows edits, arrives with sync like every derived column, and leaves with a purge.
    @Test func searchIndexFollowsEditsSyncAndRebuild() async throws {
        let (store, tickets) = try await site()
        let other = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        try await deliverAll(from: store, to: other)
        #expect(numbers(try await other.queue(.init(search: "物流"))) == [tickets[1].number], "received over sync")
        _ = try await other.updateTicket(tickets[0].id, fields: ["summary": "冷链断电"], actor: nil)
        try await deliverAll(from: other, to: store)
        for site in [store, other] {
            #expect(numbers(try await site.queue(.init(search: "断电"))) == [tickets[0].number])
            #expect(try await site.queue(.init(search: "丢失")).isEmpty, "the old summary is gone from the index")
        }
        let text = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT sourceId || ' ' || body FROM ticketText ORDER BY sourceId") }
        try await store.writer.write { db in try store.rebuildDerived(in: db) }
        let rebuilt = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT sourceId || ' ' || body FROM ticketText ORDER BY sourceId") }
        #expect(rebuilt == text, "a rebuild from the log holds the same index")
        #expect(numbers(try await store.queue(.init(search: "断电"))) == [tickets[0].number])
    }

    /// Saved views: replicated records of their owner, one per (owner, name) at every site, and a
    /// user changes only their own.
    @Test func savedViewsAreTheOwnersAndReplicate() async throws {
        let (store, tickets) = try await site()
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "agent", role: .agent), actor: "root")
        _ = try await store.saveUser(User(name: "analyst", role: .analyst), actor: "root")
        let filter = ReplicaStore.TicketFilter(channel: "email", search: "物流", sort: QueueSort(.urgency, descending: true))
        let view = try await store.saveView(name: "物流邮件", filter: filter, actor: "agent")
        #expect(view.owner == "agent" && view.query == "channel=email&q=%E7%89%A9%E6%B5%81&sort=-urgency")
        let reopened = try await store.view(view.id).filter(limit: 50)
        #expect(reopened == ReplicaStore.TicketFilter(channel: "email", search: "物流", sort: QueueSort(.urgency, descending: true), limit: 50))
        #expect(numbers(try await store.queue(reopened)) == [tickets[1].number])
        _ = try await store.saveView(name: "mine", filter: .init(assignee: "analyst"), actor: "analyst")
        #expect(try await store.views(owner: "agent").map(\.name) == ["物流邮件"])
        // Another user may not delete it, an admin neither; nothing is written then.
        let before = try await store.changeCount()
        for intruder in ["analyst", "root"] {
            let refused = await #expect(throws: DomainError.self) { try await store.deleteView(view.id, actor: intruder) }
            #expect(refused?.code == .forbidden && refused?.message.contains("only their own views") == true)
        }
        #expect(try await store.changeCount() == before)
        await #expect(throws: DomainError.self) { try await store.saveView(name: " ", filter: .init(), actor: "agent") }
        await #expect(throws: DomainError.self) { try await store.saveView(name: "x", filter: .init(state: "done"), actor: "agent") }
        await #expect(throws: DomainError.self) { try await store.saveView(name: "x", filter: .init(), actor: "ghost") }
        #expect(try await store.changeCount() == before)
        // Saved at a second site offline under the same name: one record after sync, the later query.
        let other = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        try await deliverAll(from: store, to: other)
        clock.advance(1000)
        _ = try await other.saveView(name: "物流邮件", filter: .init(channel: "phone"), actor: "agent")
        try await deliverAll(from: other, to: store)
        for site in [store, other] {
            let views = try await site.views(owner: "agent")
            #expect(views.map(\.id) == [view.id] && views.first?.query == "channel=phone")
        }
        try await store.deleteView(view.id, actor: "agent")
        #expect(try await store.views(owner: "agent").isEmpty)
    }

    /// Bulk actions: each ticket on its own, with the reason of every refusal.
    @Test func bulkCloseGivesAResultPerTicket() async throws {
        let (store, tickets) = try await site()
        _ = try await store.resolve(tickets[0].id, result: "补发", actor: nil)
        _ = try await store.transition(tickets[1].id, to: .inProgress, event: "work started", actor: nil)
        _ = try await store.resolve(tickets[1].id, result: "refunded", actor: nil)
        let results = try await store.bulk(.close, tickets: [tickets[0].id, tickets[1].number, tickets[2].id, "nope", tickets[0].id], actor: nil)
        #expect(results.map(\.ok) == [true, true, false, false])
        #expect(results[2].number == tickets[2].number)
        #expect(results[2].error?.contains("illegal transition of state from 'new' to 'closed'") == true)
        #expect(results[3].error?.contains("nope") == true)
        #expect(try await store.ticket(tickets[0].id).state == "closed")
        #expect(try await store.ticket(tickets[2].id).state == "new")
        let assigned = try await store.bulk(.assign("wang.fang"), tickets: [tickets[2].id], actor: nil)
        #expect(assigned.map(\.ok) == [true])
        #expect(try await store.ticket(tickets[2].id).assignee == "wang.fang")
        let moved = try await store.bulk(.state(.pendingCustomer), tickets: [tickets[2].id, tickets[0].id], actor: nil)
        #expect(moved.map(\.ok) == [true, false])
        await #expect(throws: DomainError.self) { try await store.bulk(.state(.resolved), tickets: [tickets[2].id], actor: nil) }
        await #expect(throws: DomainError.self) { try await store.bulk(.close, tickets: [" "], actor: nil) }
        // A role that may not work on tickets is refused once, and nothing is written.
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "analyst", role: .analyst), actor: "root")
        let before = try await store.changeCount()
        await #expect(throws: DomainError.self) { try await store.bulk(.close, tickets: [tickets[1].id], actor: "analyst") }
        #expect(try await store.changeCount() == before)
    }

    /// An older replica gains the index of its existing tickets when it opens (v7-queue backfill).
    @Test func migrationIndexesExistingTickets() async throws {
        let (store, tickets) = try await site()
        try await store.writer.write { db in
            try db.execute(sql: "DELETE FROM ticketText")
            try TicketSearch.backfill(in: db)
        }
        #expect(numbers(try await store.queue(.init(search: "物流"))) == [tickets[1].number])
        #expect(numbers(try await store.queue(.init(search: "顺丰"))) == [tickets[0].number])
    }
}
