import Foundation

/// A mail TicketMesh sends, rendered as RFC 5322 text for `sendmail -t -oi`.
package struct OutboundMail: Sendable, Equatable {
    package var from: MailAddress
    package var to: MailAddress
    package var subject: String
    /// Plain text; sent as UTF-8 in base64, so any script and any line length survive relays.
    package var body: String
    /// Without angle brackets.
    package var messageID: String
    package var inReplyTo: String?
    package var references: [String]
    /// `zh-CN` or `en`, sent as `Content-Language`.
    package var language: String
    /// The `Auto-Submitted` value (RFC 3834) for notifications (`auto-generated`, `auto-replied`); nil for a person's reply.
    package var autoSubmitted: String?
    /// The ticket number, also sent as `X-TicketMesh-Ticket`.
    package var ticketNumber: String
    /// When it was composed (ms since 1970), the `Date` header.
    package var date: Int64

    package init(
        from: MailAddress, to: MailAddress, subject: String, body: String, messageID: String, inReplyTo: String?,
        references: [String], language: String, autoSubmitted: String?, ticketNumber: String, date: Int64
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.language = language
        self.autoSubmitted = autoSubmitted
        self.ticketNumber = ticketNumber
        self.date = date
    }

    /// The message with CRLF line ends.
    package func rendered() -> [UInt8] {
        var lines = [
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(TransferEncoding.encodeWords(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
        ]
        if let inReplyTo { lines.append("In-Reply-To: <\(inReplyTo)>") }
        if !references.isEmpty { lines.append("References: " + references.map { "<\($0)>" }.joined(separator: "\r\n ")) }
        lines += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "Content-Language: \(language)",
            "X-TicketMesh-Ticket: \(ticketNumber)",
        ]
        if let autoSubmitted { lines.append("Auto-Submitted: \(autoSubmitted)") }
        let body = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n" + TransferEncoding.base64Lines(Array(body.utf8)) + "\r\n"
        return Array(text.utf8)
    }

    /// `Wed, 02 Dec 2026 09:30:00 +0000`.
    package static func rfc5322Date(_ millis: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
