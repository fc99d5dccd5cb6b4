import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshMail

/// The bytes of a committed fixture message (Tests/TicketMeshMailTests/Fixtures).
func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "eml", subdirectory: "Fixtures"))
    return Array(try Data(contentsOf: url))
}

/// R13.1: inbound mail as Chinese and Western clients send it (Docs/email.md, "Inbound").
@Suite struct MailParserTests {
    @Test func readsGBKPlainTextWithGBKEncodedWords() throws {
        let message = try MailMessage.parse(try fixture("gbk-plain"))
        #expect(message.from == MailAddress(name: "王丽", address: "wangli@example.cn"))
        #expect(message.subject == "电饭煲无法加热")
        #expect(message.text.contains("您好，我上周买的电饭煲无法加热，订单号 20261128-7731。"))
        #expect(message.text.contains("\r") == false)
        #expect(message.charset == "gbk")
        #expect(message.messageID == "gbk-0001@mail.example.cn")
        #expect(message.date == 1_796_175_000_000)  // 2026-12-02T01:30:00Z
        #expect(message.automatic == nil)
    }

    @Test func readsGB18030FourByteCharactersInBodyAndHeaders() throws {
        let message = try MailMessage.parse(try fixture("gb18030-plain"))
        #expect(message.from.name == "赵䶮")
        #expect(message.subject == "表情显示乱码 😀")
        #expect(message.text == "订单里的表情 😀 显示成乱码，还有生僻字 䶮。\n")
    }

    @Test func readsBig5() throws {
        let message = try MailMessage.parse(try fixture("big5-plain"))
        #expect(message.subject == "保固期")
        #expect(message.text == "請問保固期是多久？\n")
        #expect(message.from == MailAddress(name: nil, address: "chen@example.tw"))
    }

    @Test func readsBase64HTMLAsTextAndKeepsTheAttachmentWithItsRFC2231Name() throws {
        let message = try MailMessage.parse(try fixture("html-attachment"))
        #expect(message.from == MailAddress(name: "Li, Ming", address: "ming.li@example.com"))
        #expect(message.text.contains("the invoice for order 7731 is wrong & the total is 1 200 &yen;. 发票抬头有误。"))
        #expect(message.text.contains("color:red") == false)
        #expect(message.text.contains("<p>") == false)
        #expect(message.attachments.count == 1)
        let attachment = try #require(message.attachments.first)
        #expect(attachment.filename == "发票.pdf")
        #expect(attachment.contentType == "application/pdf")
        let pdf = Array("%PDF-1.4\n% fake pdf for tests\n".utf8) + (0..<4).flatMap { _ in (0...255).map(UInt8.init) }
        #expect(attachment.data == pdf)
        #expect(attachment.size == pdf.count)
    }

    @Test func decodesQuotedPrintableWithSoftBreaks() throws {
        let message = try MailMessage.parse(try fixture("quoted-printable"))
        #expect(
            message.text
                == "Hello support,\n\nThe café's coffee machine shows error E42 every morning — it has done so for a week now and the technician never came.\n你好！\n")
    }

    @Test func joinsAdjacentEncodedWordsOfMixedCharsetsAndEncodings() throws {
        let message = try MailMessage.parse(try fixture("encoded-subject"))
        #expect(message.subject == "产品 Qualität 投诉 plain tail")
        #expect(message.from.name == "Björn Müller")
    }

    @Test func flagsAnAutoReplyAndKeepsItsThreadHeaders() throws {
        let message = try MailMessage.parse(try fixture("auto-reply"))
        #expect(message.automatic == "Auto-Submitted: auto-replied")
        #expect(message.inReplyTo == ["tm-0000@tm.test"])
        #expect(MailThreading.ticketNumber(inSubject: message.subject)?.description == "CS-20261202-SH-0001")
    }

    @Test func flagsABounce() throws {
        let message = try MailMessage.parse(try fixture("bounce"))
        #expect(message.automatic == "bounce: Return-Path <>")
        #expect(message.from.address == "MAILER-DAEMON@mx.example.cn")
        #expect(message.text.contains("could not be delivered"))
    }

    @Test(arguments: [
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"), ("Precedence: junk", "Precedence: junk"),
        ("Precedence: list", "Precedence: list"), ("X-Autoreply: yes", "X-Autoreply header"),
        ("Auto-Submitted: no", nil), ("Precedence: first-class", nil),
    ])
    func flagsMachineSentMailByItsHeaders(header: String, reason: String?) throws {
        let message = try MailMessage.parse(Array("From: a@example.com\n\(header)\nSubject: s\n\nbody\n".utf8))
        #expect(message.automatic == reason)
    }

    @Test func flagsMailFromMailerDaemonWithoutOtherMarks() throws {
        let message = try MailMessage.parse(Array("From: Mailer-Daemon@example.com\nSubject: failure\n\nbody\n".utf8))
        #expect(message.automatic == "bounce: sent by Mailer-Daemon@example.com")
    }

    @Test func refusesNotAMail() throws {
        let error = try #require(throws: MailError.self) { try MailMessage.parse(try fixture("not-a-mail")) }
        #expect(error.code == .notAMail)
        #expect(error.message == "not an RFC 5322 message: line 1 of the header block is not a header field 'Name: value'")
    }

    @Test func refusesAHeaderBlockOnly() throws {
        let error = try #require(throws: MailError.self) { try MailMessage.parse(try fixture("header-only")) }
        #expect(error.code == .headerOnly)
        #expect(error.message.contains("ends after its header block"))
    }

    @Test func refusesAnUnknownCharsetNamingIt() throws {
        let error = try #require(throws: MailError.self) { try MailMessage.parse(try fixture("invalid-charset")) }
        #expect(error.code == .invalidCharset)
        #expect(error.message.hasPrefix("invalid charset 'x-klingon-1': this system cannot convert it"))
    }

    @Test func refusesBytesInvalidInTheDeclaredCharset() throws {
        let bytes = Array("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n".utf8) + [0xC3, 0x28, 0x0A]
        let error = try #require(throws: MailError.self) { try MailMessage.parse(bytes) }
        #expect(error.code == .invalidCharset)
        #expect(error.message == "invalid charset data: the text is declared utf-8 but is not valid UTF-8")
    }

    @Test func refusesAMessageWithoutASenderAddress() throws {
        let error = try #require(throws: MailError.self) { try MailMessage.parse(Array("Subject: hi\nFrom: nobody\n\ntext\n".utf8)) }
        #expect(error.code == .malformed)
        #expect(error.message.hasPrefix("invalid From header"))
    }

    @Test func refusesA30MBMessageOverTheLimitBeforeParsingIt() throws {
        // Generated, not committed: 30 MB of base64 attachment behind a valid header.
        var bytes = Array("From: big@example.com\nSubject: scan\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "A"), count: 30 * 1_000_000)
        let error = try #require(throws: MailError.self) { try MailMessage.parse(bytes) }
        #expect(error.code == .tooLarge)
        #expect(error.message == "message too large: \(bytes.count) bytes, over the limit of 26214400 bytes (25 MiB) for one message")
    }

    @Test func listsAnAttachmentOverItsLimitWithoutItsBytes() throws {
        let limits = MailLimits(maxMessageBytes: 1_000_000, maxAttachmentBytes: 100, maxDepth: 8)
        let payload = Data([UInt8](repeating: 7, count: 300)).base64EncodedString()
        let text = """
            From: a@example.com
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain

            see attached
            --b
            Content-Type: image/png; name=scan.png
            Content-Transfer-Encoding: base64

            \(payload)
            --b--

            """
        let message = try MailMessage.parse(Array(text.utf8), limits: limits)
        #expect(message.text == "see attached")
        #expect(message.attachments == [MailAttachment(filename: "scan.png", contentType: "image/png", size: 300, data: nil)])
    }

    @Test func parsesNoMessageIDIntoAStableContentID() throws {
        let bytes = Array("From: a@example.com\nSubject: s\n\nbody\n".utf8)
        let first = try MailMessage.parse(bytes)
        #expect(first.messageID.hasPrefix("sha256-"))
        #expect(first.messageID.hasSuffix("@ticketmesh.invalid"))
        #expect(try MailMessage.parse(bytes).messageID == first.messageID)
    }

    @Test func readsThreadHeaders() throws {
        let message = try MailMessage.parse(
            Array("From: a@example.com\nMessage-ID: <x@y>\nIn-Reply-To: <tm-abc@tm.test>\nReferences: <r1@a>\n <r2@b>\n\nbody\n".utf8))
        #expect(message.references == ["r1@a", "r2@b"])
        #expect(message.inReplyTo == ["tm-abc@tm.test"])
    }

    @Test func skipsAnMboxFromLine() throws {
        let message = try MailMessage.parse(Array("From a@example.com Wed Dec  2 09:00:00 2026\nFrom: a@example.com\n\nhello\n".utf8))
        #expect(message.text == "hello\n")
    }

    @Test func findsTicketNumbersInSubjects() {
        #expect(MailThreading.ticketNumber(inSubject: "Re: [TM#CS-20261202-SH-0042] printer")?.serial == 42)
        #expect(MailThreading.ticketNumber(inSubject: "回复：关于 CS-20261202-BJ-0007 的问题")?.description == "CS-20261202-BJ-0007")
        #expect(MailThreading.ticketNumber(inSubject: "order CS-2026-SH-1 and [TM#nonsense]") == nil)
    }

    @Test func composesThreadedUTF8MailThatParsesBack() throws {
        let mail = OutboundMail(
            from: MailAddress(name: "客服中心", address: "support@tm.test"), to: MailAddress(name: "王丽", address: "wangli@example.cn"),
            subject: MailThreading.subject(number: "CS-20261202-SH-0001", summary: "Re: 电饭煲无法加热，而且这个主题很长很长很长很长很长很长很长很长", reply: true),
            body: "您好，\n已安排上门维修。", messageID: "tm-1@tm.test", inReplyTo: "gbk-0001@mail.example.cn",
            references: ["gbk-0001@mail.example.cn"], language: "zh-CN", autoSubmitted: nil, ticketNumber: "CS-20261202-SH-0001",
            date: 1_796_175_000_000)
        let text = String(decoding: mail.rendered(), as: UTF8.self)
        #expect(text.contains("\r\nDate: Wed, 02 Dec 2026 01:30:00 +0000\r\n"))
        #expect(text.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        let parsed = try MailMessage.parse(mail.rendered())
        #expect(parsed.subject == "Re: [TM#CS-20261202-SH-0001] 电饭煲无法加热，而且这个主题很长很长很长很长很长很长很长很长")
        #expect(parsed.from == MailAddress(name: "客服中心", address: "support@tm.test"))
        #expect(parsed.messageID == "tm-1@tm.test")
        #expect(parsed.inReplyTo == ["gbk-0001@mail.example.cn"])
        #expect(parsed.text == "您好，\n已安排上门维修。")
        #expect(parsed.header("Content-Language") == "zh-CN")
        #expect(parsed.automatic == nil)
    }

    @Test func survivesEveryPrefixOfEveryFixture() throws {
        // None crashes: every truncation either parses or throws a MailError.
        for name in ["gbk-plain", "gb18030-plain", "html-attachment", "quoted-printable", "encoded-subject", "bounce"] {
            let bytes = try fixture(name)
            for length in stride(from: 0, through: bytes.count, by: 7) {
                do { _ = try MailMessage.parse(Array(bytes.prefix(length))) } catch {}
            }
        }
    }

    @Test func survivesRandomlyCorruptedFixtures() throws {
        // SplitMix64 with a fixed seed: the same corruptions every run, so a failure replays.
        var state: UInt64 = 0x5EED_0017
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var outcomes: [String: Int] = [:]
        for name in ["gbk-plain", "gb18030-plain", "big5-plain", "html-attachment", "quoted-printable", "encoded-subject", "bounce"] {
            let original = try fixture(name)
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<(1 + Int(next() % 8)) {
                    let index = Int(next() % UInt64(bytes.count))
                    // Bytes that matter to the grammar, and any byte at all.
                    let specials: [UInt8] = [0x0A, 0x0D, 0x3A, 0x3D, 0x3F, 0x2D, 0x22, 0x3B, 0x3C, 0x3E, 0x00, 0xFF]
                    bytes[index] = next() % 2 == 0 ? specials[Int(next() % UInt64(specials.count))] : UInt8(truncatingIfNeeded: next())
                }
                do {
                    _ = try MailMessage.parse(bytes)
                    outcomes["parsed", default: 0] += 1
                } catch {
                    outcomes["\(error.code)", default: 0] += 1
                }
            }
        }
        // Every corruption either parses or is refused with a MailError (none crashes), and both happen.
        #expect(outcomes.values.reduce(0, +) == 7 * 150)
        #expect(outcomes["parsed", default: 0] > 0)
        #expect(outcomes.count > 1, "\(outcomes)")
    }
}
