import Foundation
import Synchronization
import Testing
import TicketMeshDomain
import TicketMeshMail
import TicketMeshReplication

@testable import TicketMeshStore

/// A clock the test sets; 2026-12-02T02:00:00Z to start, after every fixture's Date.
final class TestClock: Sendable {
    private let millis = Mutex<Int64>(1_796_176_800_000)
    var now: Int64 { millis.withLock { $0 } }
    func advance(minutes: Int64) { millis.withLock { $0 += minutes * 60_000 } }
    var configuration: ReplicaStore.Configuration {
        ReplicaStore.Configuration(now: { self.now }, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    }
}

/// An MTA stand-in: keeps what it accepted, refuses while `refusing` is set, or "dies" after accepting.
final class RecordingTransport: MailTransport {
    enum Mode { case accept, refuse, crashAfterAccepting }
    struct Crash: Error {}
    private let state = Mutex<(mode: Mode, accepted: [MailMessage])>((.accept, []))

    var accepted: [MailMessage] { state.withLock { $0.accepted } }
    func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

    func send(_ message: [UInt8], recipient: String) async throws {
        let parsed = try MailMessage.parse(message)
        let mode = state.withLock { $0.mode }
        switch mode {
        case .refuse: throw MailTransportError(message: "sendmail refused the message to \(recipient) (exit 75): queue file write error")
        case .accept: state.withLock { $0.accepted.append(parsed) }
        case .crashAfterAccepting:
            state.withLock { $0.accepted.append(parsed) }
            throw Crash()
        }
    }
}

func mail(_ text: String) throws -> MailMessage { try MailMessage.parse(Array(text.utf8)) }

func deliver(from: ReplicaStore, to: ReplicaStore) async throws {
    let missing = try await from.blocks(after: try await to.heads(), cursor: nil, limit: Int.max)
    _ = try await to.apply(missing)
    try await to.settle()
}

/// R13.1 at the store: inbound mail becomes tickets and entries, outbound mail is owed, sent once, recorded once.
@Suite struct MailStoreTests {
    let clock = TestClock()

    func site(_ code: String = "SH") throws -> ReplicaStore {
        try ReplicaStore.inMemory(site: SiteCode(code), configuration: clock.configuration)
    }

    func configure(_ store: ReplicaStore, senders: String = "SH") async throws {
        _ = try await store.setMailSettings(senders: [senders], from: "support@tm.test", fromName: "客服中心", actor: nil)
    }

    @Test func newMailOpensAnEmailTicketForANewCustomerOnce() async throws {
        let store = try site()
        let message = try MailMessage.parse(try fixture("gbk-plain"))
        let receipt = try await store.receiveMail(message, attachments: nil)
        #expect(receipt.outcome == .ticket)
        let ticket = try await store.ticket(try #require(receipt.ticketId))
        #expect(ticket.channel == "email")
        #expect(ticket.summary == "电饭煲无法加热")
        #expect(ticket.details?.contains("订单号 20261128-7731") == true)
        #expect(ticket.contactPerson == "王丽")
        #expect(ticket.receivedAt == 1_796_175_000_000)
        #expect(ticket.state == "new")
        #expect(ticket.number == receipt.ticketNumber)
        let customer = try await store.customer(ticket.customerId)
        #expect(customer.email == "wangli@example.cn")
        #expect(customer.name == "王丽")
        #expect(customer.id.hasPrefix("CM"))

        let before = try await store.vector()
        let again = try await store.receiveMail(message, attachments: nil)
        #expect(again.outcome == .duplicate)
        #expect(again.ticketId == ticket.id)
        #expect(try await store.vector() == before)
        #expect(try await store.tickets(matching: .init()).count == 1)
    }

    @Test func mailFromAKnownCustomerAddressUsesThatCustomer() async throws {
        let store = try site()
        _ = try await store.addCustomer(Customer(id: "C0001", name: "Anna's café", email: "Anna@Example.org"), generateID: false, actor: nil)
        let receipt = try await store.receiveMail(try MailMessage.parse(try fixture("quoted-printable")), attachments: nil)
        #expect(try await store.ticket(try #require(receipt.ticketId)).customerId == "C0001")
    }

    @Test func aReplyCarryingTheTicketNumberIsACustomerEntryAndReopensAResolvedTicket() async throws {
        let store = try site()
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("quoted-printable")), attachments: nil)
        let number = try #require(first.ticketNumber)
        _ = try await store.addEntry(number, kind: .reply, body: "A technician comes tomorrow.", actor: nil)
        _ = try await store.resolve(number, result: "machine repaired", actor: nil)
        let reply = try mail("From: anna@example.org\nSubject: Re: [TM#\(number)] Coffee machine error\nMessage-ID: <qp-0002@example.org>\n\nStill broken this morning.\n")
        let receipt = try await store.receiveMail(reply, attachments: nil)
        #expect(receipt.outcome == .entry)
        #expect(receipt.ticketId == first.ticketId)
        let ticket = try await store.ticket(number)
        #expect(ticket.state == "reopened")
        let entries = try await store.entries(ticketID: ticket.id)
        #expect(entries.contains { $0.kind == .customer && $0.body == "Still broken this morning." && $0.author == "anna@example.org" })
        #expect(entries.contains { $0.kind == .event && $0.body == "reopened: the customer replied by mail" })
    }

    @Test func aScoreAnsweringTheResolutionMailIsARating() async throws {
        let store = try site()
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        let number = try #require(first.ticketNumber)
        _ = try await store.addEntry(number, kind: .reply, body: "师傅今天上门。", actor: nil)
        _ = try await store.resolve(number, result: "已上门更换加热盘", actor: nil)
        let answer = try mail("From: wangli@example.cn\nSubject: Re: [TM#\(number)]\nMessage-ID: <rate-1@example.cn>\nContent-Type: text/plain; charset=utf-8\n\n5，非常满意\n\n> quoted\n")
        let receipt = try await store.receiveMail(answer, attachments: nil)
        #expect(receipt.outcome == .rating)
        let ticket = try await store.ticket(number)
        #expect(ticket.state == "resolved")
        #expect(try await store.entries(ticketID: ticket.id).contains { $0.kind == .rating && $0.score == 5 && $0.body == "非常满意" })
    }

    @Test(arguments: [("5", 5, ""), ("4/5 good", 4, "good"), ("2。太慢", 2, "太慢"), ("50 yuan refund please", nil, ""), ("3.5", nil, ""), ("thanks", nil, "")])
    func readsAScoreOnlyWhenTheFirstLineStartsWithOne(text: String, score: Int?, comment: String) {
        let found = ReplicaStore.rating(in: text)
        #expect(found?.0 == score)
        if score != nil { #expect(found?.1 == comment) }
    }

    @Test func anAutoReplyOnAThreadIsNotedAndNeverAnswered() async throws {
        let store = try site()
        try await configure(store)
        let transport = RecordingTransport()
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        _ = try await store.drainOutbox(transport: transport)
        #expect(transport.accepted.count == 1)  // the receipt
        let receiptMail = try #require(transport.accepted.first)
        let auto = try mail(
            "From: wangli@example.cn\nSubject: Out of office\nMessage-ID: <ooo-1@example.cn>\nIn-Reply-To: <\(receiptMail.messageID)>\nAuto-Submitted: auto-replied\n\nI am away.\n")
        let receipt = try await store.receiveMail(auto, attachments: nil)
        #expect(receipt.outcome == .noted)
        #expect(receipt.ticketId == first.ticketId)
        let drain = try await store.drainOutbox(transport: transport)
        #expect(drain.sent.isEmpty)
        #expect(transport.accepted.count == 1)
        let entries = try await store.entries(ticketID: try #require(first.ticketId))
        #expect(entries.contains { $0.kind == .note && $0.body.hasPrefix("automatic mail (Auto-Submitted: auto-replied) from wangli@example.cn") })
        #expect(try await store.ticket(try #require(first.ticketId)).state == "new")
    }

    @Test(arguments: ["bounce", "auto-reply"])
    func machineSentMailWithoutATicketWritesNothing(name: String) async throws {
        let store = try site()
        let before = try await store.vector()
        let receipt = try await store.receiveMail(try MailMessage.parse(try fixture(name)), attachments: nil)
        #expect(receipt.outcome == .ignored)
        #expect(receipt.reason != nil)
        #expect(try await store.vector() == before)
    }

    @Test func mailFromTheSiteAddressIsALoopAndIgnored() async throws {
        let store = try site()
        let looped = try mail("From: Support <SUPPORT@tm.test>\nSubject: hi\nMessage-ID: <loop@tm.test>\n\nx\n")
        let receipt = try await store.receiveMail(looped, siteAddress: "support@tm.test", attachments: nil)
        #expect(receipt.outcome == .ignored)
        #expect(receipt.reason == "sent from this site's own address support@tm.test: a mail loop")
        #expect(try await store.tickets(matching: .init()).isEmpty)
    }

    @Test func attachmentsAreStoredByContentAndReferencedFromTheTicket() async throws {
        let store = try site()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-mail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = try MailMessage.parse(try fixture("html-attachment"))
        let receipt = try await store.receiveMail(message, attachments: directory)
        #expect(receipt.attachmentsKept == 1)
        let bytes = try #require(message.attachments.first?.data)
        let hash = ReplicaStore.sha256Hex(bytes)
        let file = directory.appendingPathComponent(String(hash.prefix(2))).appendingPathComponent(hash)
        #expect(Array(try Data(contentsOf: file)) == bytes)
        let details = try await store.ticket(try #require(receipt.ticketId)).details ?? ""
        #expect(details.contains("[attachment: 发票.pdf, application/pdf, \(bytes.count) bytes, sha256 \(hash)]"))
    }

    @Test func theSameMailAtTwoSitesIsOneTicketAfterSync() async throws {
        let sh = try site("SH")
        let bj = try site("BJ")
        let message = try MailMessage.parse(try fixture("gbk-plain"))
        let atSH = try await sh.receiveMail(message, attachments: nil)
        clock.advance(minutes: 1)  // BJ's MX delivers a minute later
        let atBJ = try await bj.receiveMail(message, attachments: nil)
        #expect(atSH.ticketId == atBJ.ticketId)
        #expect(atSH.ticketNumber != atBJ.ticketNumber)
        try await deliver(from: sh, to: bj)
        try await deliver(from: bj, to: sh)
        let ticketsSH = try await sh.tickets(matching: .init())
        let ticketsBJ = try await bj.tickets(matching: .init())
        #expect(ticketsSH.count == 1)
        #expect(ticketsBJ.count == 1)
        #expect(ticketsSH.first?.number == ticketsBJ.first?.number)
        #expect(try await sh.customers().count == 1)
        // Only registration itself differs between the sites: everything else is derived from the mail.
        let contested = try await sh.unresolvedConflicts().map { "\($0.entity).\($0.field)" }
        #expect(Set(contested) == ["ticket.number", "ticket.originSite", "ticket.registeredAt"], "\(contested)")
        // A later reply received at either site lands on that one ticket.
        let number = try #require(ticketsSH.first?.number)
        let reply = try mail("From: wangli@example.cn\nSubject: Re: [TM#\(number)]\nMessage-ID: <gbk-0002@mail.example.cn>\n\nany news?\n")
        #expect(try await bj.receiveMail(reply, attachments: nil).ticketId == atSH.ticketId)
    }

    @Test func theSenderSiteSendsTheReceiptRepliesAndResolutionThreadedAndInTheCustomersLanguage() async throws {
        let store = try site()
        try await configure(store)
        let transport = RecordingTransport()
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        let number = try #require(first.ticketNumber)
        _ = try await store.addEntry(number, kind: .reply, body: "已安排师傅明天上门。", actor: nil)
        _ = try await store.addEntry(number, kind: .note, body: "internal: check stock", actor: nil)
        _ = try await store.resolve(number, result: "已更换加热盘", actor: nil)
        let drain = try await store.drainOutbox(transport: transport)
        #expect(drain.sent.count == 3)
        let sent = transport.accepted
        #expect(sent.count == 3)
        for message in sent {
            #expect(message.subject == "Re: [TM#\(number)] 电饭煲无法加热")
            #expect(message.inReplyTo == ["gbk-0001@mail.example.cn"])
            #expect(message.references == ["gbk-0001@mail.example.cn"])
            #expect(message.to == [MailAddress(name: "王丽", address: "wangli@example.cn")])
            #expect(message.from == MailAddress(name: "客服中心", address: "support@tm.test"))
            #expect(message.header("Content-Language") == "zh-CN")
            #expect(message.messageID.hasPrefix("tm-") && message.messageID.hasSuffix("@tm.test"))
        }
        #expect(sent[0].text.contains("登记为工单 \(number)"))
        #expect(sent[0].header("Auto-Submitted") == "auto-replied")
        #expect(sent[1].text.hasPrefix("已安排师傅明天上门。"))
        #expect(sent[1].header("Auto-Submitted") == nil)
        #expect(sent[2].text.contains("已处理完毕：已更换加热盘"))
        #expect(sent[2].text.contains("1（非常不满意）到 5（非常满意）"))
        #expect(sent.allSatisfy { !$0.text.contains("internal: check stock") })

        // Sent once: a second drain sends nothing and the log records each send once.
        #expect(try await store.drainOutbox(transport: transport).sent.isEmpty)
        #expect(transport.accepted.count == 3)
        let events = try await store.entries(ticketID: try #require(first.ticketId)).filter { $0.body.hasPrefix("mail sent:") }
        #expect(events.count == 3)
        #expect(try await store.outbox().map(\.status) == ["sent", "sent", "sent"])

        // The customer's answer to the reply, by In-Reply-To only, lands on the ticket.
        let answer = try mail("From: wangli@example.cn\nSubject: thanks\nMessage-ID: <gbk-0003@mail.example.cn>\nIn-Reply-To: <\(sent[1].messageID)>\n\nok, see you tomorrow\n")
        let receipt = try await store.receiveMail(answer, attachments: nil)
        #expect(receipt.ticketId == first.ticketId)
        #expect(receipt.outcome == .entry)
    }

    @Test func oneMailGoesOutPerReplyHoweverManySitesHoldIt() async throws {
        let sh = try site("SH")
        let bj = try site("BJ")
        try await configure(sh, senders: "SH")
        try await deliver(from: sh, to: bj)
        let message = try MailMessage.parse(try fixture("gbk-plain"))
        _ = try await sh.receiveMail(message, attachments: nil)
        let atBJ = try await bj.receiveMail(message, attachments: nil)
        // An agent at BJ (not a sender) replies; the reply reaches SH by sync.
        _ = try await bj.addEntry(try #require(atBJ.ticketId), kind: .reply, body: "北京的同事已处理。", actor: nil)
        try await deliver(from: bj, to: sh)
        try await deliver(from: sh, to: bj)
        let atSH = RecordingTransport()
        let atBeijing = RecordingTransport()
        #expect(try await bj.drainOutbox(transport: atBeijing).skipped == "site BJ is not a mail sender (mail settings --senders: SH)")
        #expect(try await sh.drainOutbox(transport: atSH).sent.count == 2)
        #expect(atBeijing.accepted.isEmpty)
        #expect(atSH.accepted.map { $0.text.hasPrefix("北京的同事已处理。") } == [false, true])
        // The record of the send reaches BJ too.
        try await deliver(from: sh, to: bj)
        #expect(try await bj.outbox().map(\.status) == ["sent", "sent"])
    }

    @Test func englishMailGetsEnglishTemplates() async throws {
        let store = try site()
        try await configure(store)
        let transport = RecordingTransport()
        _ = try await store.receiveMail(
            try mail("From: \"Li, Ming\" <ming.li@example.com>\nSubject: Invoice is wrong\nMessage-ID: <en-1@example.com>\n\nThe total is wrong.\n"),
            attachments: nil)
        _ = try await store.drainOutbox(transport: transport)
        let receipt = try #require(transport.accepted.first)
        #expect(receipt.header("Content-Language") == "en")
        #expect(receipt.text.hasPrefix("Hello Li, Ming,\n\nWe have received your message and registered it as ticket CS-"))
    }

    @Test func aSiteTheSettingsDoNotNameSendsNothing() async throws {
        let store = try site("BJ")
        try await configure(store, senders: "SH")
        let transport = RecordingTransport()
        _ = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        let drain = try await store.drainOutbox(transport: transport)
        #expect(drain.skipped == "site BJ is not a mail sender (mail settings --senders: SH)")
        #expect(transport.accepted.isEmpty)
        #expect(try await store.outbox().map(\.status) == ["pending"])
    }

    @Test func aRefusalIsRecordedOnTheTicketOnceAndRetriedAfterTheBackOff() async throws {
        let store = try site()
        try await configure(store)
        let transport = RecordingTransport()
        transport.set(.refuse)
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        #expect(try await store.drainOutbox(transport: transport).failed.count == 1)
        clock.advance(minutes: 5)
        #expect(try await store.drainOutbox(transport: transport).failed.count == 1)
        let record = try #require(try await store.outbox().first)
        #expect(record.status == "failed")
        #expect(record.attempts == 2)
        #expect(record.lastError == "sendmail refused the message to wangli@example.cn (exit 75): queue file write error")
        let refusals = try await store.entries(ticketID: try #require(first.ticketId)).filter { $0.body.hasPrefix("mail to wangli@example.cn refused by the MTA") }
        #expect(refusals.count == 1)
        transport.set(.accept)
        #expect(try await store.drainOutbox(transport: transport).sent.isEmpty)  // within the 2-minute back-off
        clock.advance(minutes: 2)
        #expect(try await store.drainOutbox(transport: transport).sent.count == 1)
        #expect(try await store.outbox().first?.status == "sent")
        #expect(try await store.outbox().first?.lastError == nil)
    }

    @Test func aCrashAfterTheMTAAcceptedResendsTheSameMessageIDAndRecordsOnce() async throws {
        let store = try site()
        try await configure(store)
        let transport = RecordingTransport()
        transport.set(.crashAfterAccepting)
        let first = try await store.receiveMail(try MailMessage.parse(try fixture("gbk-plain")), attachments: nil)
        await #expect(throws: RecordingTransport.Crash.self) { _ = try await store.drainOutbox(transport: transport) }
        #expect(try await store.outbox().first?.status == "queued")
        transport.set(.accept)
        #expect(try await store.drainOutbox(transport: transport).sent.count == 1)
        #expect(transport.accepted.count == 2)
        #expect(transport.accepted[0].messageID == transport.accepted[1].messageID)
        let events = try await store.entries(ticketID: try #require(first.ticketId)).filter { $0.body.hasPrefix("mail sent:") }
        #expect(events.count == 1)
    }

    @Test func settingsRefuseBadValuesAndWriteNothing() async throws {
        let store = try site()
        let before = try await store.vector()
        await #expect(throws: DomainError.invalidValue(field: "from", value: "Support <s@x.cn>", rule: "must be one address like support@example.com (no name, no brackets)")) {
            _ = try await store.setMailSettings(from: "Support <s@x.cn>", actor: nil)
        }
        await #expect(throws: DomainError.self) { _ = try await store.setMailSettings(senders: ["SH,not a site"], actor: nil) }
        await #expect(throws: DomainError.self) { _ = try await store.setMailSettings(templates: ["greeting.en": "hi"], actor: nil) }
        await #expect(throws: DomainError.self) { _ = try await store.setMailSettings(type: "no/such/type", actor: nil) }
        #expect(try await store.vector() == before)
    }

    @Test func onlyAdminsChangeMailSettings() async throws {
        let store = try site()
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "amy", role: .manager), actor: "root")
        await #expect(throws: DomainError.self) { _ = try await store.setMailSettings(from: "a@tm.test", actor: "amy") }
        let settings = try await store.setMailSettings(senders: ["sh"], from: "a@tm.test", templates: ["ack.en": "Hi {name}, {number}"], actor: "root")
        #expect(settings.senders == ["SH"])
        #expect(settings.template("ack", language: "en") == "Hi {name}, {number}")
        #expect(settings.template("ack", language: "zh-CN") == MailSettings.defaults["ack.zh-CN"])
    }
}
