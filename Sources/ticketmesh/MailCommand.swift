import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshMail
import TicketMeshReplication
import TicketMeshStore

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "The email channel (R13.1): mail in from the MTA, mail out through sendmail (Docs/email.md).",
        subcommands: [MailReceive.self, MailSend.self, MailOutbox.self, MailSettingsCommand.self]
    )
}

/// sysexits(3) statuses, as MTAs read a delivery program's exit.
enum SysExits {
    /// The message is bad: the MTA bounces it with our message.
    static let dataError: Int32 = 65
    /// A usage error (bad flags): the MTA bounces.
    static let usage: Int32 = 64
    /// Try again later: the MTA keeps the message queued and retries.
    static let tempFail: Int32 = 75
}

struct MailReceive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Read one RFC 5322 message on standard input and record it (an MTA pipes mail here).",
        discussion: """
            Exit status (sysexits): 0 recorded (or deliberately ignored: auto-replies, bounces, duplicates); \
            65 the message is bad (not a mail, header block only, invalid charset, over 25 MiB): the MTA bounces it; \
            75 the site cannot record it now (no replica, database busy, disk): the MTA retries later.
            """
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "The address the MTA delivers to this site (e.g. support@example.com); mail from it is ignored as a loop.")
    var siteAddress: String?

    func run() async throws {
        let limits = MailLimits.standard
        var bytes: [UInt8] = []
        var size = 0
        do {
            // Past the limit the rest is counted, not kept, so the refusal names the real size and
            // the MTA is not cut off mid-write; reading stops at 1 GiB.
            while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty {
                size += chunk.count
                if size <= limits.maxMessageBytes { bytes += chunk }
                if size > 1 << 30 { break }
            }
        } catch {
            Output.note("error: cannot read the message on standard input: \(error.localizedDescription)")
            throw ExitCode(SysExits.tempFail)
        }
        if size > limits.maxMessageBytes {
            Output.note("error: \(limits.tooLarge(size: size).message)")
            throw ExitCode(SysExits.dataError)
        }
        if let address = siteAddress, !MailAddress.isPlainAddress(address) {
            Output.note("error: invalid --site-address '\(address)': must be one address like support@example.com")
            throw ExitCode(SysExits.usage)
        }
        var message: MailMessage
        do {
            message = try MailMessage.parse(bytes, limits: limits)
        } catch {
            Output.note("error: \(error.message)")
            throw ExitCode(SysExits.dataError)
        }
        // Postfix passes the envelope sender as $SENDER: empty for bounces (the null sender).
        if message.automatic == nil, let sender = ProcessInfo.processInfo.environment["SENDER"], sender.isEmpty {
            message.automatic = "bounce: empty envelope sender"
        }
        let receipt: MailReceipt
        do {
            let store = try options.openStore()
            receipt = try await store.receiveMail(
                message, siteAddress: siteAddress, attachments: options.dataDirectory.appendingPathComponent("attachments"))
        } catch let error as DomainError where error.code == .invalidValue {
            Output.note("error: \(error.message)")
            throw ExitCode(SysExits.dataError)
        } catch {
            // No site, a busy or full disk, a revoked certificate: keep the mail queued until it is fixed.
            Output.note("error: cannot record the message now, retry later: \(error)")
            throw ExitCode(SysExits.tempFail)
        }
        if options.json { return try Output.json(receipt) }
        let ticket = receipt.ticketNumber.map { " \($0)" } ?? ""
        switch receipt.outcome {
        case .ticket: print("new ticket\(ticket) from \(message.from.address)")
        case .entry: print("customer entry on\(ticket) from \(message.from.address)")
        case .rating: print("rating on\(ticket) from \(message.from.address)")
        case .noted: print("noted on\(ticket), not answered: \(receipt.reason ?? "")")
        case .duplicate: print("already received (Message-ID <\(message.messageID)>)\(ticket.isEmpty ? "" : " on\(ticket)")")
        case .ignored: print("ignored: \(receipt.reason ?? "")")
        }
        if receipt.attachmentsSkipped > 0 {
            Output.note("note: \(receipt.attachmentsSkipped) attachment(s) over the \(limits.maxAttachmentBytes / 1_048_576) MiB limit not kept")
        }
    }
}

/// Where outbound mail goes: `--sendmail`, else `$TICKETMESH_SENDMAIL`, else /usr/sbin/sendmail.
struct SendmailOptions: ParsableArguments {
    @Option(help: "The MTA's sendmail program (default: $TICKETMESH_SENDMAIL, else /usr/sbin/sendmail).")
    var sendmail: String?

    var transport: Sendmail {
        Sendmail(path: sendmail ?? ProcessInfo.processInfo.environment["TICKETMESH_SENDMAIL"].flatMap { $0.isEmpty ? nil : $0 } ?? Sendmail.defaultPath)
    }

    static func lockFile(_ data: URL) -> URL { data.appendingPathComponent("mail-outbox.lock") }
}

struct MailSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Hand what the outbox owes to the MTA (serve and web do this after every automation run).",
        discussion: "Sends only at a site the mail settings name as a sender. Exits 9 when the MTA refused a mail (recorded, retried later)."
    )
    @OptionGroup var options: GlobalOptions
    @OptionGroup var mta: SendmailOptions
    @Flag(help: "Retry refused mail now instead of after the back-off (1, 2, 4 … 60 minutes).")
    var retry = false

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let drain = try await store.drainOutbox(transport: mta.transport, retryNow: retry, lockFile: SendmailOptions.lockFile(options.dataDirectory))
            if options.json {
                try Output.json(drain)
            } else if let skipped = drain.skipped {
                print("nothing sent: \(skipped)")
            } else {
                print("sent \(drain.sent.count), refused \(drain.failed.count)")
            }
            if !drain.failed.isEmpty {
                Output.note("error: the MTA refused \(drain.failed.count) mail(s): see 'ticketmesh mail outbox'")
                throw ExitCode(9)
            }
        }
    }
}

struct MailOutbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "List the mail the tickets call for and what happened to each (pending, queued, sent, failed).")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let records = try await store.outbox()
            if options.json { return try Output.json(records) }
            if records.isEmpty { print("no mail") }
            for record in records {
                let when = record.sentAt.map { " at \(Timestamps.iso($0))" } ?? ""
                print("\(record.ticketNumber)  \(record.kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(record.status)\(when)  to \(record.to)  attempts \(record.attempts)\(record.lastError.map { "  error: \($0)" } ?? "")")
            }
        }
    }
}

struct MailSettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show or change the replicated mail settings (admins at an admin site).",
        discussion: """
            Without options, prints the settings. Templates take the placeholders {name}, {number}, {summary}, \
            {body}, {result}; give --template KIND.LANGUAGE=TEXT or --template-file KIND.LANGUAGE=PATH, with KIND \
            ack, reply or resolved and LANGUAGE zh-CN or en; an empty TEXT restores the built-in template.
            """
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "Site codes that send mail, comma-separated (empty: none).") var senders: String?
    @Option(help: "The From address of outbound mail.") var from: String?
    @Option(help: "The display name of the From address.") var fromName: String?
    @Option(help: "The request type of tickets opened by mail.") var type: String?
    @Option(help: "KIND.LANGUAGE=TEXT: a template (repeatable).") var template: [String] = []
    @Option(help: "KIND.LANGUAGE=PATH: a template read from a file (repeatable).") var templateFile: [String] = []

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            var templates: [String: String] = [:]
            for item in template + templateFile {
                guard let eq = item.firstIndex(of: "=") else {
                    throw DomainError.invalidValue(field: "template", value: item, rule: "must be KIND.LANGUAGE=TEXT (or =PATH for --template-file)")
                }
                templates[String(item[..<eq])] = String(item[item.index(after: eq)...])
            }
            for item in templateFile {
                let key = String(item[..<item.firstIndex(of: "=")!])
                let path = templates[key]!
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw DomainError.invalidValue(field: "template-file", value: path, rule: "must be a readable UTF-8 text file")
                }
                templates[key] = text
            }
            let changing = senders != nil || from != nil || fromName != nil || type != nil || !templates.isEmpty
            let settings =
                changing
                ? try await store.setMailSettings(
                    senders: senders.map { [$0] }, from: from, fromName: fromName, type: type, templates: templates, actor: options.actor)
                : try await store.mailSettings()
            if options.json { return try Output.json(settings) }
            print("senders    \(settings.senders.isEmpty ? "none (no site sends mail)" : settings.senders.joined(separator: ","))")
            let from = settings.from.map { address in settings.fromName.map { "\($0) <\(address)>" } ?? address }
            print("from       \(from ?? "not set (nothing is sent)")")
            print("type       \(settings.type)")
            for kind in MailSettings.kinds {
                for language in MailSettings.languages {
                    let custom = settings.templates["\(kind).\(language)"] != nil
                    let text = settings.template(kind, language: language).replacingOccurrences(of: "\n", with: "⏎")
                    print("template   \(kind).\(language)\(custom ? "" : " (built-in)"): \(text.prefix(70))\(text.count > 70 ? "…" : "")")
                }
            }
        }
    }
}
