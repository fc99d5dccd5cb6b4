import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshMail
import TicketMeshReplication

/// What `receiveMail` did with one inbound message (Docs/email.md, "Inbound").
package struct MailReceipt: Sendable, Equatable, Codable {
    /// What became of the message.
    package enum Outcome: String, Sendable, Codable {
        /// A new ticket.
        case ticket
        /// A customer entry on the ticket whose number or thread it carries.
        case entry
        /// A satisfaction score (R5.1) answering the resolution mail.
        case rating
        /// A machine-sent mail (auto-reply, bounce) noted on its ticket, never answered.
        case noted
        /// Already received (the same `Message-ID`): nothing written.
        case duplicate
        /// Dropped without writing: a machine-sent mail with no ticket, or mail from our own address.
        case ignored
    }

    package var outcome: Outcome
    package var ticketId: String?
    package var ticketNumber: String?
    /// Why the message was ignored or only noted.
    package var reason: String?
    /// Attachments kept and not kept (over the limit).
    package var attachmentsKept: Int
    package var attachmentsSkipped: Int
}

/// The replicated mail settings (entity `setting`, row `mail`): admin sites and admins write them.
package struct MailSettings: Sendable, Equatable, Codable {
    /// Site codes that hand outbound mail to their MTA; empty: no site sends.
    package var senders: [String]
    /// The From address of outbound mail; nil: nothing is sent.
    package var from: String?
    /// The display name of the From address.
    package var fromName: String?
    /// The request type of tickets opened by mail (default `consultation`).
    package var type: String
    /// Template overrides by `KIND.LANGUAGE` (`ack.en`, `reply.zh-CN`, `resolved.en`, …).
    package var templates: [String: String]

    /// The template kinds: receipt of a new ticket, an agent's reply, the resolution with the satisfaction question.
    package static let kinds = ["ack", "reply", "resolved"]
    package static let languages = ["zh-CN", "en"]
    /// Placeholders a template may use.
    package static let placeholders = ["{name}", "{number}", "{summary}", "{body}", "{result}"]

    package init(senders: [String] = [], from: String? = nil, fromName: String? = nil, type: String = "consultation", templates: [String: String] = [:]) {
        self.senders = senders
        self.from = from
        self.fromName = fromName
        self.type = type
        self.templates = templates
    }

    /// The template for `kind` in `language`: the replicated override, else the built-in default.
    package func template(_ kind: String, language: String) -> String {
        templates["\(kind).\(language)"] ?? Self.defaults["\(kind).\(language)"] ?? Self.defaults["\(kind).zh-CN"] ?? "{body}"
    }

    /// The built-in templates (zh-CN is the default language).
    package static let defaults: [String: String] = [
        "ack.zh-CN": "{name}，您好：\n\n我们已收到您的来信，登记为工单 {number}：{summary}\n如需补充，请直接回复本邮件，并保留主题中的工单号。\n",
        "ack.en": "Hello {name},\n\nWe have received your message and registered it as ticket {number}: {summary}\nTo add to it, reply to this mail and keep the ticket number in the subject.\n",
        "reply.zh-CN": "{body}\n\n-- \n工单 {number}：{summary}\n",
        "reply.en": "{body}\n\n-- \nTicket {number}: {summary}\n",
        "resolved.zh-CN": "{name}，您好：\n\n工单 {number} 已处理完毕：{result}\n\n您对本次服务满意吗？请直接回复 1（非常不满意）到 5（非常满意）的分数，可在分数后附上意见。如问题仍未解决，请回复说明，我们会重新处理。\n",
        "resolved.en": "Hello {name},\n\nTicket {number} is resolved: {result}\n\nHow satisfied are you? Reply with a score from 1 (very dissatisfied) to 5 (very satisfied), optionally followed by a comment. If the problem is not solved, reply and tell us: we will take it up again.\n",
    ]

    /// The site that sends the mail of a ticket: its origin site if that is a sender, else the
    /// first sender by code, so one mail goes out per message however many senders there are.
    package func sender(forOrigin origin: String) -> String? {
        senders.contains(origin) ? origin : senders.sorted().first
    }
}

/// One outbound mail as the outbox holds it (`mail outbox`, the ticket's log).
package struct OutboundRecord: Sendable, Equatable, Codable {
    /// The outbox id: derived from what the mail is for (`ReplicaStore.ruleID`).
    package var id: String
    package var ticketId: String
    package var ticketNumber: String
    /// `ack`, `reply` or `resolved`.
    package var kind: String
    package var to: String
    package var messageId: String?
    /// `pending` (not yet tried), `queued` (handed to sendmail, not yet confirmed), `sent` or `failed`.
    package var status: String
    package var attempts: Int
    package var lastError: String?
    package var sentAt: Int64?
}

/// What one outbox drain did.
package struct MailDrain: Sendable, Equatable, Codable {
    /// Outbox ids handed to the MTA and recorded as sent.
    package var sent: [String] = []
    /// Outbox ids the MTA refused (recorded as failed, retried later).
    package var failed: [String] = []
    /// Why nothing was sent, when this site does not send mail or another drain is running.
    package var skipped: String?

    package init(sent: [String] = [], failed: [String] = [], skipped: String? = nil) {
        self.sent = sent
        self.failed = failed
        self.skipped = skipped
    }
}

extension ReplicaStore {
    /// The actor inbound and outbound mail is written as: `mail:SITE` (no user name holds a ':').
    package var mailActor: String { "mail:\(site.rawValue)" }

    /// The longest text kept from one mail (characters), as `details` and entries allow.
    static let mailTextLimit = 100_000

    // MARK: Settings

    /// The mail settings as replicated here.
    package func mailSettings() async throws -> MailSettings {
        try await writer.read { db in try self.mailSettings(in: db) }
    }

    func mailSettings(in db: Database) throws -> MailSettings {
        var settings = MailSettings()
        for row in try Row.fetchAll(db, sql: "SELECT field, value FROM register WHERE entity = 'setting' AND rowId = 'mail'") {
            let field: String = row[0]
            guard let value = row[1] as String?, !value.isEmpty else { continue }
            switch field {
            case "senders": settings.senders = value.split(separator: ",").map(String.init)
            case "from": settings.from = value
            case "fromName": settings.fromName = value
            case "type": settings.type = value
            default:
                if field.hasPrefix("template.") { settings.templates[String(field.dropFirst("template.".count))] = value }
            }
        }
        return settings
    }

    /// Changes mail settings; `nil` leaves a field as it is, an empty string clears it.
    ///
    /// - Parameter templates: `KIND.LANGUAGE` → text; an empty text restores the built-in one.
    /// - Throws: `DomainError.invalidValue` naming the field and its rule; `.forbidden` unless an
    ///   admin acts at an admin site (`SiteRights`). Nothing is written then.
    package func setMailSettings(
        senders: [String]? = nil, from: String? = nil, fromName: String? = nil, type: String? = nil,
        templates: [String: String] = [:], actor: String?
    ) async throws -> MailSettings {
        var edits: [FieldEdit] = []
        func edit(_ field: String, _ value: String) {
            edits.append(FieldEdit(entity: "setting", rowID: "mail", field: field, value: .text(value)))
        }
        if let senders {
            var codes: [String] = []
            for raw in senders.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingCharacters(in: .whitespaces).uppercased() }) where !raw.isEmpty {
                guard SiteCode.isValid(raw) else {
                    throw DomainError.invalidValue(field: "senders", value: raw, rule: "must be site codes (2–8 letters A–Z and digits), comma-separated")
                }
                if !codes.contains(raw) { codes.append(raw) }
            }
            edit("senders", codes.joined(separator: ","))
        }
        // Taken as given (not trimmed), so the API's patterns and these rules agree.
        if let from {
            guard from.isEmpty || MailAddress.isPlainAddress(from) else {
                throw DomainError.invalidValue(field: "from", value: from, rule: "must be one address like support@example.com (no name, no brackets)")
            }
            edit("from", from)
        }
        if let fromName {
            guard fromName.unicodeScalars.count <= 100, !fromName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw DomainError.invalidValue(field: "from-name", value: fromName, rule: "must be one line of at most 100 characters, without control characters")
            }
            edit("fromName", fromName)
        }
        for (key, text) in templates.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, MailSettings.kinds.contains(parts[0]), MailSettings.languages.contains(parts[1]) else {
                throw DomainError.invalidValue(
                    field: "template", value: key,
                    rule: "must be KIND.LANGUAGE with KIND one of \(MailSettings.kinds.joined(separator: ", ")) and LANGUAGE one of \(MailSettings.languages.joined(separator: ", "))")
            }
            guard text.unicodeScalars.count <= 10_000 else {
                throw DomainError.invalidValue(field: "template \(key)", value: String(text.prefix(40)), rule: "must be at most 10000 characters")
            }
            edit("template.\(key)", text)
        }
        let proposed = edits
        return try await writer.write { db in
            try self.authorize(.manageMail, actor: actor, in: db)
            var all = proposed
            if let type {
                all.append(FieldEdit(entity: "setting", rowID: "mail", field: "type", value: .text(try self.requestTypes(db).validate(type))))
            }
            if !all.isEmpty { try self.commit(all, actor: actor, in: db) }
            return try self.mailSettings(in: db)
        }
    }

    // MARK: Inbound

    /// Records one inbound mail: a new ticket, a customer entry on its ticket (reopening a resolved
    /// one, R4.1), a rating answering the resolution mail, or a note of a machine-sent mail; in one
    /// transaction, as the mail gateway (`mailActor`).
    ///
    /// Ids derive from the `Message-ID`, so sites receiving the same mail write the same ticket,
    /// customer and entry, and converge to one after sync (Docs/email.md, "Two sites, one ticket").
    /// A message already received returns `.duplicate` and writes nothing.
    ///
    /// - Parameters:
    ///   - siteAddress: the address the MTA delivers to this site; mail from it is our own and ignored.
    ///   - attachments: the directory for attachment files (content-addressed); nil keeps none.
    /// - Throws: `DomainError` or `StoreError` when the store refuses the write; nothing is written then.
    package func receiveMail(_ message: MailMessage, siteAddress: String? = nil, attachments directory: URL?) async throws -> MailReceipt {
        let now = configuration.now()
        let stored = try Self.storeAttachments(message.attachments, in: directory)
        return try await writer.write { db in
            try self.receiveMail(message, siteAddress: siteAddress, attachments: stored, now: now, in: db)
        }
    }

    /// An attachment as referenced from a record: name, type, size and where its bytes are.
    struct StoredAttachment: Codable {
        var name: String
        var type: String
        var size: Int
        /// SHA-256 of the bytes (the file name under `attachments/`); nil when not kept.
        var sha256: String?
        var kept: Bool

        var line: String {
            kept
                ? "[attachment: \(name), \(type), \(size) bytes, sha256 \(sha256 ?? "")]"
                : "[attachment not kept: \(name), \(type), \(size) bytes: over the \(MailLimits.standard.maxAttachmentBytes / 1_048_576) MiB limit]"
        }
    }

    /// Writes each kept attachment to `DIR/xx/SHA256` (atomically, once: same bytes, same file).
    static func storeAttachments(_ attachments: [MailAttachment], in directory: URL?) throws -> [StoredAttachment] {
        try attachments.map { attachment in
            guard let data = attachment.data else {
                return StoredAttachment(name: attachment.filename, type: attachment.contentType, size: attachment.size, sha256: nil, kept: false)
            }
            let hash = sha256Hex(data)
            if let directory {
                let folder = directory.appendingPathComponent(String(hash.prefix(2)))
                let file = folder.appendingPathComponent(hash)
                if !FileManager.default.fileExists(atPath: file.path) {
                    do {
                        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                        try Data(data).write(to: file, options: .atomic)
                    } catch {
                        throw StoreError(
                            code: .unusableDirectory,
                            message: "cannot write attachment '\(attachment.filename)' to '\(file.path)': \(error.localizedDescription)")
                    }
                }
            }
            return StoredAttachment(name: attachment.filename, type: attachment.contentType, size: attachment.size, sha256: hash, kept: directory != nil)
        }
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// The record id of a mail by its `Message-ID`.
    static func mailRecordID(_ messageID: String) -> String { ruleID("mail", messageID) }

    /// The ticket a referenced `Message-ID` belongs to: a mail we received, or one we sent (`tm-ID@…`).
    func threadTicket(referencing ids: [String], in db: Database) throws -> String? {
        for id in ids.reversed() {
            var keys = [Self.mailRecordID(id)]
            if id.hasPrefix("tm-"), let at = id.firstIndex(of: "@") { keys.append(String(id[id.index(id.startIndex, offsetBy: 3)..<at])) }
            for key in keys {
                if let ticket = try String.fetchOne(
                    db, sql: "SELECT value FROM register WHERE entity = 'mail' AND rowId = ? AND field = 'ticketId'", arguments: [key])
                {
                    return ticket
                }
            }
        }
        return nil
    }

    func receiveMail(_ message: MailMessage, siteAddress: String?, attachments: [StoredAttachment], now: Int64, in db: Database) throws -> MailReceipt {
        let mailID = Self.mailRecordID(message.messageID)
        let kept = attachments.filter(\.kept).count
        var receipt = MailReceipt(outcome: .ignored, attachmentsKept: kept, attachmentsSkipped: attachments.count - kept)
        if let ticketID = try String.fetchOne(
            db, sql: "SELECT value FROM register WHERE entity = 'mail' AND rowId = ? AND field = 'ticketId'", arguments: [mailID])
        {
            receipt.outcome = .duplicate
            receipt.ticketId = ticketID
            receipt.ticketNumber = try? ticket(ticketID, in: db).number
            receipt.attachmentsKept = 0
            receipt.attachmentsSkipped = 0
            return receipt
        }
        let settings = try mailSettings(in: db)
        let sender = message.from.address.lowercased()
        if [siteAddress, settings.from].compactMap({ $0?.lowercased() }).contains(sender) {
            receipt.reason = "sent from this site's own address \(sender): a mail loop"
            return receipt
        }
        // The thread: a mail it answers, else the ticket number in its subject.
        var threaded = try threadTicket(referencing: message.references + message.inReplyTo, in: db).flatMap { try? ticket($0, in: db) }
        if threaded == nil, let number = MailThreading.ticketNumber(inSubject: message.subject) {
            threaded = try? ticket(number.description, in: db)
        }
        let body = Self.mailBody(message, attachments: attachments)
        let actor = mailActor
        var edits: [FieldEdit] = []
        func mailRecord(ticketID: String, entryID: String?) {
            var fields: [(String, FieldValue)] = [
                ("direction", .text("in")), ("ticketId", .text(ticketID)), ("messageId", .text(message.messageID)),
                ("from", .text(sender)), ("subject", .text(String(message.subject.prefix(2_000)))), ("at", .int(message.date ?? now)),
            ]
            if let entryID { fields.append(("entryId", .text(entryID))) }
            if !attachments.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                fields.append(("attachments", .text(String(decoding: (try? encoder.encode(attachments)) ?? Data("[]".utf8), as: UTF8.self))))
            }
            edits += fields.map { FieldEdit(entity: "mail", rowID: mailID, field: $0.0, value: $0.1) }
        }
        if let automatic = message.automatic {
            receipt.reason = automatic
            guard let ticket = threaded, !ticket.archived, ticket.state != TicketState.closed.rawValue else { return receipt }
            let noteID = Self.mailEntryID(message, salt: "note")
            edits += entryEdits(
                ticketID: ticket.id, kind: .note, body: "automatic mail (\(automatic)) from \(sender), not answered: \(message.subject)\n\n\(body)",
                score: nil, actor: actor, id: noteID)
            mailRecord(ticketID: ticket.id, entryID: noteID)
            try commit(edits, actor: actor, in: db)
            receipt.outcome = .noted
            receipt.ticketId = ticket.id
            receipt.ticketNumber = ticket.number
            return receipt
        }
        let customerID = try mailCustomer(message, now: now, edits: &edits, in: db)
        if let ticket = threaded, !ticket.archived, ticket.state != TicketState.closed.rawValue {
            let entryID = Self.mailEntryID(message, salt: "entry")
            let state = TicketState(rawValue: ticket.state)
            if state == .resolved, let found = Self.rating(in: message.text) {
                edits += ratingEdits(ticket, score: found.0, text: found.1, dimensions: [:], actor: actor, entryID: entryID)
                receipt.outcome = .rating
            } else {
                edits += entryEdits(ticketID: ticket.id, kind: .customer, body: body, score: nil, actor: sender, id: entryID)
                receipt.outcome = .entry
                let next: (TicketState, String)? =
                    switch state {
                    case .resolved: (.reopened, "reopened: the customer replied by mail")
                    case .pendingCustomer: (.inProgress, "in progress: the customer replied by mail")
                    default: nil
                    }
                if let next {
                    edits.append(FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text(next.0.rawValue)))
                    edits += entryEdits(ticketID: ticket.id, kind: .event, body: next.1, score: nil, actor: actor, id: Self.mailEntryID(message, salt: "event"))
                }
            }
            try threadEdits(ticketID: ticket.id, message: message, acknowledge: false, now: now, edits: &edits, in: db)
            mailRecord(ticketID: ticket.id, entryID: entryID)
            try commit(edits, actor: actor, in: db)
            receipt.ticketId = ticket.id
            receipt.ticketNumber = ticket.number
            return receipt
        }
        // A new ticket; a mail on a closed ticket's thread opens a new one that names the old.
        let ticketID = Self.mailTicketID(message)
        let number = try nextTicketNumber(now: now, in: db)
        let types = try requestTypes(db)
        let type = (try? types.validate(settings.type)) ?? types.activePaths.first ?? "consultation"
        var summary = message.subject.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if summary.isEmpty {
            summary = message.text.split(whereSeparator: \.isNewline).first.map { String($0.prefix(200)) } ?? ""
        }
        if summary.isEmpty { summary = "(no subject) \(sender)" }
        var details = body
        if let previous = threaded { details = "follow-up to closed ticket \(previous.number)\n\n" + details }
        var fields: [(String, FieldValue)] = [
            ("number", .text(number.description)), ("customerId", .text(customerID)), ("channel", .text(Channel.email.rawValue)),
            ("type", .text(type)), ("urgency", .text(Urgency.normal.rawValue)), ("summary", .text(String(summary.prefix(2_000)))),
            ("receivedAt", .int(min(message.date ?? now, now))), ("registeredAt", .int(now)), ("state", .text(TicketState.new.rawValue)),
            ("originSite", .text(site.rawValue)), ("readBack", .int(0)), ("createdBy", .text("mail")),
        ]
        if !details.isEmpty { fields.append(("details", .text(details))) }
        if let name = message.from.name { fields.append(("contactPerson", .text(String(name.prefix(200))))) }
        if let previous = threaded { fields.append(("refs", .text(Self.encodeRefs(["previous": previous.number])))) }
        edits += fields.map { FieldEdit(entity: "ticket", rowID: ticketID, field: $0.0, value: $0.1) }
        try threadEdits(ticketID: ticketID, message: message, acknowledge: true, now: now, edits: &edits, in: db)
        mailRecord(ticketID: ticketID, entryID: nil)
        try commit(edits, actor: actor, in: db)
        receipt.outcome = .ticket
        receipt.ticketId = ticketID
        receipt.ticketNumber = try ticket(ticketID, in: db).number
        return receipt
    }

    /// The customer a mail is from: the one with this address, else a new record whose id derives
    /// from the address (`CM` + 15 hex digits), the same at every site.
    func mailCustomer(_ message: MailMessage, now: Int64, edits: inout [FieldEdit], in db: Database) throws -> String {
        let address = message.from.address.lowercased()
        if let id = try String.fetchOne(
            db, sql: "SELECT id FROM customer WHERE lower(email) = ? AND name IS NOT NULL ORDER BY id LIMIT 1", arguments: [address])
        {
            return id
        }
        let id = "CM" + String(Self.ruleID("customer-mail", address).prefix(15)).uppercased()
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM customer WHERE id = ? AND name IS NOT NULL)", arguments: [id]) == true {
            return id
        }
        let name = message.from.name.map { String($0.prefix(200)) } ?? address
        // Only values every receiving site derives alike (no `site`, the mail's time): no conflict after sync.
        let values: [(String, FieldValue)] = [
            ("name", .text(name.isEmpty ? address : name)), ("email", .text(address)), ("level", .text("normal")),
            ("createdAt", .int(min(message.date ?? now, now))),
        ]
        edits += values.map { FieldEdit(entity: "customer", rowID: id, field: $0.0, value: $0.1) }
        return id
    }

    /// The thread record of a ticket (entity `mailThread`, row = ticket id): where replies go, in
    /// which language, and which message they answer.
    func threadEdits(ticketID: String, message: MailMessage, acknowledge: Bool, now: Int64, edits: inout [FieldEdit], in db: Database) throws {
        let exists = try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM register WHERE entity = 'mailThread' AND rowId = ? AND field = 'address')", arguments: [ticketID]) ?? false
        var values: [(String, FieldValue)] = [("last", .text(message.messageID))]
        if !exists {
            values += [
                ("address", .text(message.from.address.lowercased())), ("language", .text(Self.language(of: message))),
                ("root", .text(message.messageID)), ("since", .int(Self.threadStart(message, now: now))), ("ack", .int(acknowledge ? 1 : 0)),
            ]
            if let name = message.from.name { values.append(("name", .text(String(name.prefix(200))))) }
        }
        edits += values.map { FieldEdit(entity: "mailThread", rowID: ticketID, field: $0.0, value: $0.1) }
    }

    /// When a thread begins: the mail's Date (so every receiving site writes the same), but not
    /// after now nor more than a day before (a wrong sender clock must not pull in old replies).
    static func threadStart(_ message: MailMessage, now: Int64) -> Int64 {
        max(min(message.date ?? now, now), now - 86_400_000)
    }

    /// `zh-CN` when the mail is in Chinese (Han characters, or a Chinese charset), else `en`.
    static func language(of message: MailMessage) -> String {
        if let declared = message.header("Content-Language")?.lowercased() {
            if declared.hasPrefix("zh") { return "zh-CN" }
            if declared.hasPrefix("en") { return "en" }
        }
        let han = (message.subject + message.text).unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
        if han || ["gb2312", "gbk", "gb18030", "big5"].contains(message.charset) { return "zh-CN" }
        return "en"
    }

    /// The text kept on the ticket: the message text (at most `mailTextLimit`) and one line per attachment.
    static func mailBody(_ message: MailMessage, attachments: [StoredAttachment]) -> String {
        var text = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count > mailTextLimit - 2_000 { text = String(text.prefix(mailTextLimit - 2_000)) + "\n[text cut at \(mailTextLimit - 2_000) characters]" }
        let lines = attachments.prefix(20).map(\.line)
        return ([text] + lines).filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// A score answering the resolution mail: the first line of the reply is `1`–`5`, maybe with a comment after it.
    static func rating(in text: String) -> (Int, String)? {
        guard let line = text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty }),
            let first = line.first, let score = Int(String(first)), (1...5).contains(score)
        else { return nil }
        var rest = Substring(line.dropFirst())
        if rest.hasPrefix("/5") { rest = rest.dropFirst(2) } else if rest.hasPrefix(" / 5") { rest = rest.dropFirst(4) }
        // "5", "5 thanks", "5/5, great", "4。不错" — not "50 yuan" or "3.5".
        if let next = rest.first, !(next == " " || "，,。.:：-—!！".contains(next)) || rest.hasPrefix(".") && rest.dropFirst().first?.isNumber == true {
            return nil
        }
        let comment = rest.trimmingCharacters(in: CharacterSet(charactersIn: " ,，.。:：-—!！"))
        return (score, String(comment.prefix(10_000)))
    }

    /// A ticket id from the `Message-ID`: a time-ordered id (RecordID) stamped with the mail's Date,
    /// its random bits from the hash, so every site derives the same.
    static func mailTicketID(_ message: MailMessage) -> String {
        let digest = Array(SHA256.hash(data: Data(("ticket\u{1F}" + message.messageID).utf8)))
        return RecordID.make(at: message.date ?? 0, random: (word(digest, 0), word(digest, 8)))
    }

    static func mailEntryID(_ message: MailMessage, salt: String) -> String {
        let digest = Array(SHA256.hash(data: Data((salt + "\u{1F}" + message.messageID).utf8)))
        return RecordID.make(at: message.date ?? 0, random: (word(digest, 0), word(digest, 8)))
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
