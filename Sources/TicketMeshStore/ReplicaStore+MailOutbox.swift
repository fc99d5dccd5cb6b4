import Foundation
import GRDB
import Glibc
import Synchronization
import TicketMeshDomain
import TicketMeshMail
import TicketMeshReplication

/// Data directories whose outbox a drain of this process is working on (a second drain skips).
private let drainsInProcess = Mutex<Set<String>>([])

extension ReplicaStore {
    /// One mail the outbox owes: derived from the replicated log, so every site computes the same
    /// list and the same ids (Docs/email.md, "Outbound").
    struct OwedMail {
        var id: String
        var kind: String
        var ticket: Ticket
        var thread: MailThread
        var body: String
        var entryAt: Int64
    }

    /// A ticket's mail thread (entity `mailThread`).
    struct MailThread {
        var ticketID: String
        var address: String
        var name: String?
        var language: String
        var root: String?
        var last: String?
        var since: Int64
        var acknowledge: Bool
    }

    func threads(in db: Database) throws -> [MailThread] {
        var byTicket: [String: [String: DatabaseValue]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT rowId, field, value FROM register WHERE entity = 'mailThread'") {
            byTicket[row[0], default: [:]][row[1]] = row[2] as DatabaseValue
        }
        return byTicket.sorted { $0.key < $1.key }.compactMap { ticketID, fields in
            guard let address = String.fromDatabaseValue(fields["address"] ?? .null) else { return nil }
            return MailThread(
                ticketID: ticketID, address: address, name: String.fromDatabaseValue(fields["name"] ?? .null),
                language: String.fromDatabaseValue(fields["language"] ?? .null) ?? "zh-CN",
                root: String.fromDatabaseValue(fields["root"] ?? .null), last: String.fromDatabaseValue(fields["last"] ?? .null),
                since: Int64.fromDatabaseValue(fields["since"] ?? .null) ?? 0,
                acknowledge: Int64.fromDatabaseValue(fields["ack"] ?? .null) == 1)
        }
    }

    /// Every mail the threads call for: the receipt of a ticket opened by mail, each agent reply
    /// since the thread began, and each resolution still standing.
    /// How long after closing a ticket the outbox still looks at it: 30 days.
    static let outboxHorizon: Int64 = 30 * 86_400_000

    func owedMail(in db: Database, now: Int64) throws -> [OwedMail] {
        var owed: [OwedMail] = []
        for thread in try threads(in: db) {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ticket WHERE id = ? AND number IS NOT NULL", arguments: [thread.ticketID]) else { continue }
            let ticket = Self.ticket(from: row)
            // Tickets closed or archived long ago owe nothing new: the drain need not read their logs again.
            if let closedAt = row["closedAt"] as Int64?, ticket.state == TicketState.closed.rawValue, closedAt < now - Self.outboxHorizon {
                continue
            }
            if thread.acknowledge {
                owed.append(OwedMail(id: Self.ruleID("mail-out", "ack", ticket.id), kind: "ack", ticket: ticket, thread: thread, body: "", entryAt: thread.since))
            }
            for reply in try Row.fetchAll(
                db, sql: "SELECT id, body, at FROM entry WHERE ticketId = ? AND kind = 'reply' AND at >= ? ORDER BY at, id",
                arguments: [ticket.id, thread.since])
            {
                owed.append(
                    OwedMail(id: Self.ruleID("mail-out", "reply", reply[0] as String), kind: "reply", ticket: ticket, thread: thread, body: (reply[1] as String?) ?? "", entryAt: reply[2]))
            }
            if let resolvedAt = row["resolvedAt"] as Int64?, resolvedAt >= thread.since,
                ticket.state == TicketState.resolved.rawValue || ticket.state == TicketState.closed.rawValue
            {
                owed.append(
                    OwedMail(
                        id: Self.ruleID("mail-out", "resolved", ticket.id, String(resolvedAt)), kind: "resolved", ticket: ticket, thread: thread,
                        body: ticket.result ?? "", entryAt: resolvedAt))
            }
        }
        return owed
    }

    /// The outbox: every owed mail with what happened to it, oldest first.
    package func outbox() async throws -> [OutboundRecord] {
        try await writer.read { db in
            try self.owedMail(in: db, now: self.configuration.now()).map { owed in
                let record = try self.outboundFields(owed.id, in: db)
                return OutboundRecord(
                    id: owed.id, ticketId: owed.ticket.id, ticketNumber: owed.ticket.number, kind: owed.kind, to: owed.thread.address,
                    messageId: record["messageId"].flatMap(String.fromDatabaseValue), status: record["status"].flatMap(String.fromDatabaseValue) ?? "pending",
                    attempts: Int(record["attempts"].flatMap(Int64.fromDatabaseValue) ?? 0), lastError: record["lastError"].flatMap(String.fromDatabaseValue),
                    sentAt: record["sentAt"].flatMap(Int64.fromDatabaseValue))
            }
        }
    }

    func outboundFields(_ id: String, in db: Database) throws -> [String: DatabaseValue] {
        var fields: [String: DatabaseValue] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT field, value FROM register WHERE entity = 'mail' AND rowId = ?", arguments: [id]) {
            fields[row[0]] = row[1] as DatabaseValue
        }
        return fields
    }

    /// The wait before retrying a refused mail: 1, 2, 4 … minutes after the last attempt, at most an hour.
    static func retryDelay(attempts: Int) -> Int64 {
        Int64(min(60, 1 << min(max(attempts - 1, 0), 6))) * 60_000
    }

    /// Sends what the outbox owes through `transport`, if the mail settings name this site as the
    /// sender of those tickets; records each send on its ticket exactly once.
    ///
    /// Per mail: the record (status `queued`, its deterministic `Message-ID`) is committed before
    /// the MTA sees the message, and `sent` after it accepted it. A crash between the two leaves
    /// `queued`, and the next drain hands the MTA the same message with the same `Message-ID`
    /// again: the MTA may deliver it twice, the ticket records it once (Docs/email.md, "Exactly once").
    /// A refusal is recorded as `failed` with the MTA's answer and an event on the ticket, and retried
    /// after `retryDelay` (at once with `retryNow`). One drain per data directory runs at a time.
    package func drainOutbox(transport: some MailTransport, retryNow: Bool = false, lockFile: URL? = nil) async throws -> MailDrain {
        let key = lockFile?.path ?? "memory:\(ObjectIdentifier(self))"
        guard drainsInProcess.withLock({ $0.insert(key).inserted }) else { return MailDrain(skipped: "another drain of this outbox is running") }
        defer { _ = drainsInProcess.withLock { $0.remove(key) } }
        var fileLock: Int32 = -1
        if let lockFile {
            fileLock = Glibc.open(lockFile.path, O_RDWR | O_CREAT, 0o600)
            guard fileLock >= 0 else {
                throw StoreError(code: .unusableDirectory, message: "cannot open the outbox lock '\(lockFile.path)': \(String(cString: strerror(errno)))")
            }
            guard lockf(fileLock, F_TLOCK, 0) == 0 else {
                Glibc.close(fileLock)
                return MailDrain(skipped: "another process is draining this outbox")
            }
        }
        defer { if fileLock >= 0 { Glibc.close(fileLock) } }

        let now = configuration.now()
        let (settings, owed) = try await writer.read { db in (try self.mailSettings(in: db), try self.owedMail(in: db, now: now)) }
        guard settings.senders.contains(site.rawValue) else {
            return MailDrain(skipped: "site \(site) is not a mail sender (mail settings --senders: \(settings.senders.isEmpty ? "none" : settings.senders.joined(separator: ",")))")
        }
        guard let fromAddress = settings.from else { return MailDrain(skipped: "no From address set (mail settings --from ADDRESS)") }
        var drain = MailDrain()
        for mail in owed where settings.sender(forOrigin: mail.ticket.originSite) == site.rawValue {
            let prepared = try await writer.write { db -> (OutboundMail, Int)? in
                let record = try self.outboundFields(mail.id, in: db)
                let status = record["status"].flatMap(String.fromDatabaseValue)
                let attempts = Int(record["attempts"].flatMap(Int64.fromDatabaseValue) ?? 0)
                if status == "sent" { return nil }
                if status == "failed", !retryNow, let last = record["lastAttemptAt"].flatMap(Int64.fromDatabaseValue), now < last + Self.retryDelay(attempts: attempts) {
                    return nil
                }
                let domain = fromAddress.split(separator: "@").last.map(String.init) ?? "ticketmesh.invalid"
                let messageID = record["messageId"].flatMap(String.fromDatabaseValue) ?? "tm-\(mail.id)@\(domain)"
                let message = self.compose(mail, settings: settings, from: fromAddress, messageID: messageID, now: now)
                let fields: [(String, FieldValue)] = [
                    ("direction", .text("out")), ("ticketId", .text(mail.ticket.id)), ("kind", .text(mail.kind)), ("to", .text(mail.thread.address)),
                    ("messageId", .text(messageID)), ("subject", .text(message.subject)), ("status", .text("queued")),
                    ("attempts", .int(Int64(attempts + 1))), ("lastAttemptAt", .int(now)),
                ]
                try self.commit(fields.map { FieldEdit(entity: "mail", rowID: mail.id, field: $0.0, value: $0.1) }, actor: self.mailActor, in: db)
                return (message, attempts + 1)
            }
            guard let prepared else { continue }
            let (message, attempt) = prepared
            do {
                try await transport.send(message.rendered(), recipient: message.to.address)
                try await recordSent(mail, message: message)
                drain.sent.append(mail.id)
            } catch let refusal as MailTransportError {
                try await recordRefused(mail, message: message, attempt: attempt, error: refusal.message)
                drain.failed.append(mail.id)
            }
        }
        return drain
    }

    private func recordSent(_ mail: OwedMail, message: OutboundMail) async throws {
        let now = configuration.now()
        try await writer.write { db in
            var edits: [FieldEdit] = [
                FieldEdit(entity: "mail", rowID: mail.id, field: "status", value: .text("sent")),
                FieldEdit(entity: "mail", rowID: mail.id, field: "sentAt", value: .int(now)),
                FieldEdit(entity: "mail", rowID: mail.id, field: "sentBy", value: .text(self.site.rawValue)),
                FieldEdit(entity: "mail", rowID: mail.id, field: "lastError", value: .null),
            ]
            let label = ["ack": "receipt", "reply": "reply", "resolved": "resolution notice"][mail.kind] ?? mail.kind
            edits += self.entryEdits(
                ticketID: mail.ticket.id, kind: .event, body: "mail sent: \(label) to \(mail.thread.address), \(message.subject) (Message-ID <\(message.messageID)>)",
                score: nil, actor: self.mailActor, id: Self.ruleID("mail-sent", mail.id))
            try self.commit(edits, actor: self.mailActor, in: db)
        }
    }

    private func recordRefused(_ mail: OwedMail, message: OutboundMail, attempt: Int, error: String) async throws {
        let now = configuration.now()
        try await writer.write { db in
            var edits: [FieldEdit] = [
                FieldEdit(entity: "mail", rowID: mail.id, field: "status", value: .text("failed")),
                FieldEdit(entity: "mail", rowID: mail.id, field: "lastError", value: .text(String(error.prefix(1_000)))),
            ]
            // One event per refused mail (entries are never edited); `mail outbox` shows the attempts.
            let eventID = Self.ruleID("mail-refused", mail.id)
            let noted = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM register WHERE entity = 'entry' AND rowId = ? AND field = 'kind')", arguments: [eventID]) ?? false
            if !noted {
                edits += self.entryEdits(
                    ticketID: mail.ticket.id, kind: .event,
                    body: "mail to \(mail.thread.address) refused by the MTA (attempt \(attempt), \(Timestamps.iso(now))): \(String(error.prefix(500))) — retried automatically",
                    score: nil, actor: self.mailActor, id: eventID)
            }
            try self.commit(edits, actor: self.mailActor, in: db)
        }
    }

    /// The outbound mail for an owed mail: the template in the thread's language, the ticket tag in
    /// the subject, threading headers pointing at the customer's mails.
    func compose(_ mail: OwedMail, settings: MailSettings, from: String, messageID: String, now: Int64) -> OutboundMail {
        let name = mail.thread.name ?? mail.thread.address
        var text = settings.template(mail.kind, language: mail.thread.language)
        for (placeholder, value) in [
            ("{name}", name), ("{number}", mail.ticket.number), ("{summary}", mail.ticket.summary), ("{body}", mail.body),
            ("{result}", mail.ticket.result ?? ""),
        ] {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        var references: [String] = []
        for id in [mail.thread.root, mail.thread.last].compactMap({ $0 }) where !references.contains(id) { references.append(id) }
        return OutboundMail(
            from: MailAddress(name: settings.fromName, address: from), to: MailAddress(name: mail.thread.name, address: mail.thread.address),
            subject: MailThreading.subject(number: mail.ticket.number, summary: mail.ticket.summary, reply: true), body: text,
            messageID: messageID, inReplyTo: mail.thread.last, references: references, language: mail.thread.language,
            autoSubmitted: ["ack": "auto-replied", "resolved": "auto-generated"][mail.kind], ticketNumber: mail.ticket.number, date: now)
    }
}
