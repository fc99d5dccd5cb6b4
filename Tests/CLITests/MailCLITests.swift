import Foundation
import Testing

/// Runs the binary with `input` on standard input, as an MTA runs a delivery program.
func pipe(_ input: [UInt8], into arguments: [String], environment extra: [String: String] = [:]) throws -> CLI.Result {
    let process = Process()
    process.executableURL = CLI.binary
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["TZ"] = "Asia/Shanghai"
    environment.removeValue(forKey: "SENDER")
    environment.merge(extra) { $1 }
    process.environment = environment
    // Files, not pipes: a 30 MB message must not block on a full pipe while the child reads it.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-pipe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inURL = directory.appendingPathComponent("in")
    try Data(input).write(to: inURL)
    _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("out").path, contents: nil)
    _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("err").path, contents: nil)
    process.standardInput = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = try FileHandle(forWritingTo: directory.appendingPathComponent("out"))
    process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("err"))
    try process.run()
    process.waitUntilExit()
    return CLI.Result(
        status: process.terminationStatus,
        stdout: String(decoding: try Data(contentsOf: directory.appendingPathComponent("out")), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: directory.appendingPathComponent("err")), as: UTF8.self))
}

/// A committed fixture of the mail module's tests.
func mailFixture(_ name: String) throws -> [UInt8] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    return Array(try Data(contentsOf: root.appendingPathComponent("TicketMeshMailTests/Fixtures/\(name).eml")))
}

/// `ticketmesh mail receive` as an MTA pipes into it, and `mail send` through a sendmail stand-in
/// (R13.1; Docs/email.md). The real-Postfix test is PostfixMailTests.
@Suite(.serialized) struct MailCLITests {
    let cli = CLI()

    func initSite(_ site: String) throws {
        try cli.ok(["init", "--site", site], site: site)
    }

    func receive(_ bytes: [UInt8], site: String, environment: [String: String] = [:]) throws -> CLI.Result {
        try pipe(bytes, into: ["mail", "receive", "--data", cli.data(site), "--site-address", "support@tm.test"], environment: environment)
    }

    func tickets(_ site: String) throws -> [[String: Any]] {
        try cli.ok(["ticket", "list", "--json"], site: site).array
    }

    @Test func aMailBecomesATicketAndExitsZero() throws {
        try initSite("SH")
        let result = try receive(try mailFixture("gbk-plain"), site: "SH")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("new ticket CS-"))
        let list = try tickets("SH")
        #expect(list.count == 1)
        #expect(list.first?["summary"] as? String == "电饭煲无法加热")
        #expect(list.first?["channel"] as? String == "email")
        let again = try receive(try mailFixture("gbk-plain"), site: "SH")
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("already received (Message-ID <gbk-0001@mail.example.cn>)"))
        #expect(try tickets("SH").count == 1)
    }

    @Test(arguments: [
        ("not-a-mail", "error: not an RFC 5322 message: line 1 of the header block is not a header field 'Name: value'"),
        ("header-only", "error: not a complete message: it ends after its header block (no empty line and body follow)"),
        ("invalid-charset", "error: invalid charset 'x-klingon-1': this system cannot convert it"),
    ])
    func badInputExitsDataErrorAndWritesNothing(name: String, message: String) throws {
        try initSite("SH")
        let digest = try cli.digest("SH")
        let result = try receive(try mailFixture(name), site: "SH")
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix(message))
        #expect(try cli.digest("SH") == digest)
        #expect(try tickets("SH").isEmpty)
    }

    @Test func a30MBMessageIsRefusedAsTooLargeAndWritesNothing() throws {
        try initSite("SH")
        let digest = try cli.digest("SH")
        var bytes = Array("From: big@example.com\nSubject: scans\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "Q"), count: 30_000_000)
        let result = try receive(bytes, site: "SH")
        #expect(result.status == 65)
        #expect(result.stderr == "error: message too large: \(bytes.count) bytes, over the limit of 26214400 bytes (25 MiB) for one message\n")
        #expect(try cli.digest("SH") == digest)
    }

    @Test func aSiteThatCannotRecordAsksTheMTAToRetry() throws {
        let result = try receive(try mailFixture("gbk-plain"), site: "missing")
        #expect(result.status == 75)
        #expect(result.stderr.contains("cannot record the message now, retry later"))
    }

    @Test(arguments: ["bounce", "auto-reply"])
    func machineSentMailIsAcceptedAndIgnored(name: String) throws {
        try initSite("SH")
        let result = try receive(try mailFixture(name), site: "SH")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("ignored: "))
        #expect(try tickets("SH").isEmpty)
    }

    @Test func anEmptyEnvelopeSenderIsABounce() throws {
        try initSite("SH")
        let result = try receive(try mailFixture("quoted-printable"), site: "SH", environment: ["SENDER": ""])
        #expect(result.stdout == "ignored: bounce: empty envelope sender\n")
        #expect(try tickets("SH").isEmpty)
    }

    @Test func theSameMailPipedIntoTwoSitesIsOneTicketAfterFileSync() throws {
        try initSite("SH")
        try initSite("BJ")
        #expect(try receive(try mailFixture("html-attachment"), site: "SH").status == 0)
        #expect(try receive(try mailFixture("html-attachment"), site: "BJ").status == 0)
        try cli.carry(from: "SH", to: "BJ")
        try cli.carry(from: "BJ", to: "SH")
        let sh = try tickets("SH")
        let bj = try tickets("BJ")
        #expect(sh.count == 1)
        #expect(bj.count == 1)
        #expect(sh.first?["id"] as? String == bj.first?["id"] as? String)
        #expect(sh.first?["number"] as? String == bj.first?["number"] as? String)
        #expect(try cli.digest("SH") == cli.digest("BJ"))
    }

    /// A sendmail stand-in: appends each message to `spool`, or refuses with exit 75 while `refuse` exists.
    func fakeSendmail() throws -> (path: String, spool: String, refuse: String) {
        let path = cli.file("sendmail")
        let spool = cli.file("spool")
        let refuse = cli.file("refuse")
        try """
            #!/bin/sh
            if [ -e '\(refuse)' ]; then echo 'postdrop: warning: unable to look up public/pickup: No such file or directory' >&2; exit 75; fi
            [ "$1" = "-t" ] && [ "$2" = "-oi" ] || { echo "bad arguments: $*" >&2; exit 64; }
            cat >> '\(spool)'
            echo '--END--' >> '\(spool)'
            """.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, spool, refuse)
    }

    @Test func mailSendHandsRepliesToSendmailOnceAndShowsRefusals() throws {
        try initSite("SH")
        try cli.ok(["mail", "settings", "--senders", "SH", "--from", "support@tm.test", "--from-name", "TicketMesh Support"], site: "SH")
        let sendmail = try fakeSendmail()
        let received = try receive(try mailFixture("quoted-printable"), site: "SH")
        let number = String(try #require(received.stdout.split(separator: " ").dropFirst(2).first))
        try cli.ok(["ticket", "reply", number, "We will send a technician."], site: "SH")

        _ = FileManager.default.createFile(atPath: sendmail.refuse, contents: nil)
        let refused = try cli.run(["mail", "send", "--sendmail", sendmail.path], site: "SH")
        #expect(refused.status == 9)
        #expect(refused.stdout == "sent 0, refused 2\n")
        let outbox = try cli.ok(["mail", "outbox", "--json"], site: "SH").array
        #expect(outbox.map { $0["status"] as? String } == ["failed", "failed"])
        #expect((outbox.first?["lastError"] as? String)?.contains("(exit 75): postdrop: warning") == true)
        let shown = try cli.ok(["ticket", "show", number], site: "SH").stdout
        #expect(shown.contains("mail to anna@example.org refused by the MTA (attempt 1"))

        try FileManager.default.removeItem(atPath: sendmail.refuse)
        let sent = try cli.ok(["mail", "send", "--sendmail", sendmail.path, "--retry"], site: "SH")
        #expect(sent.stdout == "sent 2, refused 0\n")
        #expect(try cli.ok(["mail", "send", "--sendmail", sendmail.path], site: "SH").stdout == "sent 0, refused 0\n")
        let spool = try String(contentsOfFile: sendmail.spool, encoding: .utf8)
        let messages = spool.components(separatedBy: "--END--\n").filter { !$0.isEmpty }
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("Subject: Re: [TM#\(number)] Coffee machine error\r\n") })
        #expect(messages.allSatisfy { $0.contains("In-Reply-To: <qp-0001@example.org>\r\n") })
        #expect(messages.allSatisfy { $0.contains("From: \"TicketMesh Support\" <support@tm.test>\r\n") })
        #expect(try cli.ok(["mail", "outbox", "--json"], site: "SH").array.map { $0["status"] as? String } == ["sent", "sent"])
    }

    @Test func settingsRefuseABadAddressNamingTheField() throws {
        try initSite("SH")
        let result = try cli.run(["mail", "settings", "--from", "not an address"], site: "SH")
        #expect(result.status == 2)
        #expect(result.stderr == "error: invalid from 'not an address': must be one address like support@example.com (no name, no brackets)\n")
    }
}
