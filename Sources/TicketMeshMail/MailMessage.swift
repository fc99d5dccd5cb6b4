import Crypto
import Foundation

/// One inbound RFC 5322 message, decoded: headers, text, attachments, and what threading and
/// loop prevention need (Docs/email.md).
package struct MailMessage: Sendable, Equatable {
    /// Header fields in order, unfolded, values decoded from RFC 2047 words.
    package var headers: [(name: String, value: String)]
    package var from: MailAddress
    package var to: [MailAddress]
    package var subject: String
    /// The `Message-ID` without angle brackets; for a message that has none, `sha256-HEX@ticketmesh.invalid`
    /// from its bytes, so every site derives the same.
    package var messageID: String
    package var inReplyTo: [String]
    package var references: [String]
    /// The `Date` header in ms since 1970, nil when absent or unreadable.
    package var date: Int64?
    /// The text the customer wrote: the first text/plain part, else the first text/html part as text.
    package var text: String
    /// The charset of the part `text` came from (lower-cased MIME label; "utf-8" when none was given).
    package var charset: String
    /// Files sent with the message, in order; those over the size limit carry no bytes.
    package var attachments: [MailAttachment]
    /// Why this message was sent by a program rather than a person (`Auto-Submitted: auto-replied`,
    /// `bounce: Return-Path <>`, …); nil for a person's mail. Such a message never starts a ticket
    /// and is never answered (Docs/email.md, "Loops").
    package var automatic: String?

    package static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" } && lhs.from == rhs.from
            && lhs.to == rhs.to && lhs.subject == rhs.subject && lhs.messageID == rhs.messageID && lhs.text == rhs.text
            && lhs.attachments == rhs.attachments && lhs.automatic == rhs.automatic
    }

    /// The first header named `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Parses one message as an MTA delivers it to a program (a leading mbox `From ` line is skipped).
    ///
    /// - Throws: `MailError` naming what is wrong: `.tooLarge` over `limits.maxMessageBytes`,
    ///   `.notAMail` when the first line is not a header field, `.headerOnly` when no body follows
    ///   the header block, `.malformed` without a `From` address, `.invalidCharset` for a text
    ///   part in a charset iconv does not know or with bytes invalid in it.
    package static func parse(_ bytes: [UInt8], limits: MailLimits = .standard) throws(MailError) -> MailMessage {
        guard bytes.count <= limits.maxMessageBytes else { throw limits.tooLarge(size: bytes.count) }
        var start = 0
        if bytes.starts(with: Array("From ".utf8)), let end = bytes.firstIndex(of: 0x0A) { start = end + 1 }
        let (headerBytes, bodyStart) = splitHeader(bytes, from: start)
        let rawHeaders = try parseHeaders(headerBytes)
        guard let bodyStart else {
            throw MailError(code: .headerOnly, message: "not a complete message: it ends after its header block (no empty line and body follow)")
        }
        let decoded = rawHeaders.map { (name: $0.name, value: TransferEncoding.decodeWords($0.value)) }
        func raw(_ name: String) -> String? { rawHeaders.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value }
        guard let fromValue = raw("From"), let from = MailAddress.parseList(fromValue).first else {
            throw MailError(code: .malformed, message: "invalid From header: a message must name its sender as an address like name@example.com")
        }
        let to = (raw("To").map(MailAddress.parseList) ?? []) + (raw("Cc").map(MailAddress.parseList) ?? [])
        let subject = decoded.first { $0.name.caseInsensitiveCompare("Subject") == .orderedSame }?.value
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let messageID: String
        if let id = raw("Message-ID").flatMap({ messageIDs(in: $0).first }) {
            messageID = id
        } else {
            messageID = "sha256-" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "@ticketmesh.invalid"
        }
        var walker = PartWalker(limits: limits)
        try walker.walk(headers: rawHeaders, body: Array(bytes[bodyStart...]), depth: 0)
        var message = MailMessage(
            headers: decoded, from: from, to: to, subject: subject, messageID: messageID,
            inReplyTo: raw("In-Reply-To").map(messageIDs) ?? [], references: raw("References").map(messageIDs) ?? [],
            date: raw("Date").flatMap(parseDate), text: walker.text ?? walker.html.map(htmlToText) ?? "",
            charset: walker.charset ?? "utf-8", attachments: walker.attachments, automatic: nil)
        message.automatic = automaticReason(message, contentType: raw("Content-Type") ?? "")
        return message
    }

    /// Why a message is machine-sent, by the rules of RFC 3834 and common practice.
    static func automaticReason(_ message: MailMessage, contentType: String) -> String? {
        if let value = message.header("Auto-Submitted")?.trimmingCharacters(in: .whitespaces).lowercased(),
            !value.isEmpty, !value.hasPrefix("no")
        {
            return "Auto-Submitted: \(value)"
        }
        if let value = message.header("Precedence")?.trimmingCharacters(in: .whitespaces).lowercased(),
            ["bulk", "junk", "list", "auto_reply"].contains(value)
        {
            return "Precedence: \(value)"
        }
        if let value = message.header("Return-Path"), value.trimmingCharacters(in: .whitespaces) == "<>" {
            return "bounce: Return-Path <>"
        }
        let local = message.from.localPart.lowercased()
        if local == "mailer-daemon" || local == "postmaster" {
            return "bounce: sent by \(message.from.address)"
        }
        if contentType.lowercased().contains("multipart/report") { return "bounce: multipart/report" }
        for name in ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"] where message.header(name) != nil {
            return "\(name) header"
        }
        return nil
    }

    // MARK: Header block

    /// The header bytes and the index where the body starts (after the empty line), nil if none.
    static func splitHeader(_ bytes: [UInt8], from start: Int) -> (ArraySlice<UInt8>, Int?) {
        var index = start
        var lineStart = start
        while index < bytes.count {
            if bytes[index] == 0x0A {
                let line = bytes[lineStart..<index]
                if line.isEmpty || line == [0x0D] {
                    return (bytes[start..<lineStart], index + 1)
                }
                lineStart = index + 1
            }
            index += 1
        }
        return (bytes[start..<bytes.count], nil)
    }

    /// Unfolds and splits header fields. Values are bytes read as UTF-8 (RFC 6532), else Latin-1.
    static func parseHeaders(_ bytes: ArraySlice<UInt8>) throws(MailError) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            if line.first == 0x20 || line.first == 0x09 {
                guard !fields.isEmpty else {
                    throw MailError(code: .notAMail, message: "not an RFC 5322 message: line 1 starts with white space, not a header field 'Name: value'")
                }
                fields[fields.count - 1].value += " " + text(line).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy({ $0 > 32 && $0 < 127 })
            else {
                throw MailError(
                    code: .notAMail,
                    message: "not an RFC 5322 message: line \(lineNumber) of the header block is not a header field 'Name: value'")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            fields.append((name, text(line[(colon + 1)...]).trimmingCharacters(in: .whitespaces)))
        }
        guard !fields.isEmpty else {
            throw MailError(code: .notAMail, message: "not an RFC 5322 message: it has no header fields")
        }
        return fields
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(validating: bytes, as: UTF8.self) ?? String(bytes.map { Character(Unicode.Scalar($0)) })
    }

    /// The `<id>` tokens of a `Message-ID`, `In-Reply-To` or `References` value, without brackets.
    package static func messageIDs(in value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !id.isEmpty, id.count <= 500, !id.contains(" ") { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            // Some clients drop the brackets.
            let bare = value.trimmingCharacters(in: .whitespaces)
            if !bare.isEmpty, bare.contains("@"), !bare.contains(" "), bare.count <= 500 { ids.append(bare) }
        }
        return ids
    }

    /// RFC 5322 dates, with or without the weekday and seconds, with a numeric zone or `GMT`/`UT`.
    static func parseDate(_ value: String) -> Int64? {
        var text = value
        if let paren = text.firstIndex(of: "(") { text = String(text[..<paren]) }
        text = text.trimmingCharacters(in: .whitespaces)
        if let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]).trimmingCharacters(in: .whitespaces) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        for format in ["d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm Z", "d MMM yy HH:mm:ss Z", "d MMM yyyy HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
        }
        return nil
    }

    /// Readable text from HTML: tags dropped, block ends as line breaks, the common entities decoded.
    static func htmlToText(_ html: String) -> String {
        var out = ""
        var inTag = false
        var tag = ""
        var skipping = false
        for character in html {
            if inTag {
                if character == ">" {
                    inTag = false
                    let name = tag.lowercased().split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\t" }).first.map(String.init) ?? ""
                    if name == "style" || name == "script" { skipping = true }
                    if tag.hasPrefix("/"), tag.lowercased().hasPrefix("/style") || tag.lowercased().hasPrefix("/script") { skipping = false }
                    if ["br", "p", "/p", "div", "/div", "tr", "/tr", "li", "h1", "h2", "h3", "/h1", "/h2", "/h3"].contains(name)
                        || ["/p", "/div", "/tr", "/li"].contains(tag.lowercased())
                    {
                        if !out.hasSuffix("\n") { out += "\n" }
                    }
                    tag = ""
                } else {
                    tag.append(character)
                }
            } else if character == "<" {
                inTag = true
            } else if !skipping {
                out.append(character)
            }
        }
        for (entity, value) in [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: value)
        }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var collapsed: [String] = []
        for line in lines where !(line.isEmpty && (collapsed.last?.isEmpty ?? true)) { collapsed.append(line) }
        return collapsed.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A file sent with a message.
package struct MailAttachment: Sendable, Hashable {
    package var filename: String
    package var contentType: String
    /// The decoded size in bytes, kept or not.
    package var size: Int
    /// The decoded bytes; nil when over `MailLimits.maxAttachmentBytes` (not kept).
    package var data: [UInt8]?

    package init(filename: String, contentType: String, size: Int, data: [UInt8]?) {
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.data = data
    }
}
