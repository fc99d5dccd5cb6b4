import Foundation
import Glibc
import Testing

/// The mail test domain scripts/test gives the local Postfix (`mydestination`), and its local customer user.
enum PostfixSetup {
    static let domain = "tm.test"
    static let customer = "tmcustomer"
    static let postfix = "/usr/sbin/postfix"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: postfix) }
}

/// A minimal SMTP client: one message to 127.0.0.1:25, as a remote MTA hands it over.
func smtpSend(from: String, to: String, message: String) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CLIFailure(description: "socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(25).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw CLIFailure(description: "connect 127.0.0.1:25: \(String(cString: strerror(errno)))") }
    var buffer = [UInt8](repeating: 0, count: 4096)
    var pending = ""
    func reply() throws -> String {
        while true {
            // A reply ends with a line "NNN text" (a space after the code, not '-').
            let lines = pending.components(separatedBy: "\r\n")
            if let last = lines.dropLast().last, last.count >= 4, last[last.index(last.startIndex, offsetBy: 3)] == " " {
                defer { pending = "" }
                return pending
            }
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw CLIFailure(description: "SMTP connection closed after: \(pending)") }
            pending += String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }
    func command(_ line: String, expect code: String) throws {
        if !line.isEmpty {
            let bytes = Array((line + "\r\n").utf8)
            guard write(fd, bytes, bytes.count) == bytes.count else { throw CLIFailure(description: "SMTP write failed") }
        }
        let answer = try reply()
        guard answer.hasPrefix(code) else { throw CLIFailure(description: "SMTP '\(line.prefix(40))' answered: \(answer)") }
    }
    try command("", expect: "220")
    try command("HELO client.example", expect: "250")
    try command("MAIL FROM:<\(from)>", expect: "250")
    try command("RCPT TO:<\(to)>", expect: "250")
    try command("DATA", expect: "354")
    let body = message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
    try command(body + "\r\n.", expect: "250")
    try command("QUIT", expect: "221")
}

/// Waits up to `seconds` for `condition`, checking twice a second (Postfix delivers asynchronously).
func eventually<T>(_ what: String, seconds: Double = 30, _ condition: () throws -> T?) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let value = try condition() { return value }
        Thread.sleep(forTimeInterval: 0.5)
    }
    throw CLIFailure(description: "timed out after \(Int(seconds)) s waiting for \(what)")
}

/// The acceptance test of issue 17 with a real Postfix on loopback (installed, configured and
/// started by scripts/test: local delivery only, no relay). Skips only when Postfix is absent.
///
/// The alias pipe runs as `nobody` (Postfix's default_privs for aliases in /etc/aliases, which
/// root owns), so the site's data directory and the binary it runs are made usable by nobody, and
/// every CLI command of this test runs as nobody too (Docs/email.md, "Permissions").
@Suite(.serialized, .timeLimit(.minutes(3))) struct PostfixMailTests {
    let cli = CLI()

    /// Runs the binary as `nobody`, the alias pipe's user, so the replica's files stay nobody's.
    @discardableResult
    func asNobody(_ arguments: [String], data: String) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "nobody", "--", Self.installedBinary] + arguments + ["--data", data]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = CLI.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        guard result.status == 0 else { throw CLIFailure(description: "ticketmesh \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)") }
        return result
    }

    /// Where the test installs the binary for the alias: a path every user may execute.
    static let installedBinary = "/usr/local/libexec/ticketmesh-mailtest/ticketmesh"

    func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CLIFailure(description: "'\(command)' exited \(process.terminationStatus)") }
    }

    /// The messages of the customer's mbox (/var/mail/tmcustomer), split at `From ` lines.
    func mailbox() -> [String] {
        guard let text = try? String(contentsOfFile: "/var/mail/\(PostfixSetup.customer)", encoding: .utf8) else { return [] }
        return text.components(separatedBy: "\nFrom ").filter { !$0.isEmpty }
    }

    @Test(.enabled(if: PostfixSetup.installed, "postfix is not installed (scripts/test installs it: apt-get install postfix)"))
    func mailInThroughTheAliasReplyOutThroughSendmailAndTheAnswerOnTheSameTicket() throws {
        let data = "/var/lib/ticketmesh-mailtest-\(UUID().uuidString.prefix(8))"
        let support = "support@\(PostfixSetup.domain)"
        let customer = "\(PostfixSetup.customer)@\(PostfixSetup.domain)"
        try shell("mkdir -p /usr/local/libexec/ticketmesh-mailtest && install -m 0755 '\(CLI.binary.path)' '\(Self.installedBinary)'")
        try shell("mkdir -p '\(data)' && chown nobody:nogroup '\(data)'")
        defer { try? shell("rm -rf '\(data)'; sed -i '/^support:/d' /etc/aliases; newaliases") }
        try asNobody(["init", "--site", "SH"], data: data)
        try asNobody(["mail", "settings", "--senders", "SH", "--from", support, "--from-name", "Support"], data: data)
        // The alias of Docs/email.md, pointing at this test's site.
        try shell(
            "sed -i '/^support:/d' /etc/aliases && echo 'support: \"|\(Self.installedBinary) mail receive --data \(data) --site-address \(support)\"' >> /etc/aliases && newaliases")
        let mailboxBefore = mailbox().count

        // 1. A customer's mail over SMTP becomes a ticket through the pipe.
        let firstID = "first-\(UUID().uuidString)@client.example"
        try smtpSend(
            from: customer, to: support,
            message: """
                From: Test Customer <\(customer)>
                To: \(support)
                Subject: Printer on fire
                Message-ID: <\(firstID)>
                Date: \(DateFormatter.rfc5322.string(from: Date()))
                Content-Type: text/plain; charset=utf-8

                The printer in room 3 smells of smoke. 打印机冒烟了。
                """)
        let ticket = try eventually("the ticket made by the alias pipe") { () -> [String: Any]? in
            try asNobody(["ticket", "list", "--json"], data: data).array.first
        }
        let number = try #require(ticket["number"] as? String)
        #expect(ticket["channel"] as? String == "email")
        #expect(ticket["summary"] as? String == "Printer on fire")

        // 2. The agent's reply leaves through sendmail and arrives in the customer's local mailbox.
        try asNobody(["ticket", "reply", number, "Please unplug it; a technician is on the way."], data: data)
        let sent = try asNobody(["mail", "send"], data: data)
        #expect(sent.stdout == "sent 2, refused 0\n")
        let reply = try eventually("the reply in /var/mail/\(PostfixSetup.customer)") { () -> String? in
            mailbox().dropFirst(mailboxBefore).first { $0.contains("Please unplug it") || $0.contains("UGxlYXNlIHVucGx1ZyBpd") }
        }
        #expect(reply.contains("Subject: Re: [TM#\(number)] Printer on fire"))
        #expect(reply.contains("In-Reply-To: <\(firstID)>"))
        #expect(reply.contains("References: <\(firstID)>"))
        let idLine = try #require(reply.split(separator: "\n").first { $0.hasPrefix("Message-ID: <tm-") })
        let replyID = String(idLine.dropFirst("Message-ID: <".count).prefix { $0 != ">" })

        // 3. The customer's answer to it, threaded by In-Reply-To only, lands on the same ticket.
        try smtpSend(
            from: customer, to: support,
            message: """
                From: Test Customer <\(customer)>
                To: \(support)
                Subject: Re: your message
                Message-ID: <second-\(UUID().uuidString)@client.example>
                In-Reply-To: <\(replyID)>
                Content-Type: text/plain; charset=utf-8

                Unplugged, thanks.
                """)
        let entry = try eventually("the customer's answer on \(number)") { () -> [String: Any]? in
            let detail = try asNobody(["ticket", "show", number, "--json"], data: data).object
            return (detail["notes"] as? [[String: Any]])?.first { $0["kind"] as? String == "customer" && ($0["body"] as? String)?.contains("Unplugged") == true }
        }
        #expect(entry["author"] as? String == customer)
        #expect(try asNobody(["ticket", "list", "--json"], data: data).array.count == 1)
    }
}

extension DateFormatter {
    static var rfc5322: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }
}
