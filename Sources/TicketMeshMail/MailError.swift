/// A message the mail module refused to read or write. Nothing was stored.
package struct MailError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal this is; `ticketmesh mail receive` maps it to a sysexits status.
    package enum Code: Hashable, Sendable {
        /// Not an RFC 5322 message at all (no header fields).
        case notAMail
        /// A header block with no body after it.
        case headerOnly
        /// A header or part the rules refuse (no sender address, bad MIME structure).
        case malformed
        /// A charset this system cannot convert, or bytes that are not valid in the declared charset.
        case invalidCharset
        /// Larger than `MailLimits.maxMessageBytes`.
        case tooLarge
    }

    package let code: Code
    package let message: String
    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}

/// Size limits for inbound mail (Docs/email.md, "Limits").
package struct MailLimits: Sendable, Hashable {
    /// The largest message read at all (bytes); a larger one is refused whole.
    package var maxMessageBytes: Int
    /// The largest attachment kept (decoded bytes); a larger one is listed on the entry as not kept.
    package var maxAttachmentBytes: Int
    /// How deep multiparts may nest.
    package var maxDepth: Int

    /// 25 MiB per message, 10 MiB per attachment, 8 nesting levels.
    package static let standard = MailLimits(maxMessageBytes: 25 * 1024 * 1024, maxAttachmentBytes: 10 * 1024 * 1024, maxDepth: 8)

    /// The refusal of a message of `size` bytes over `maxMessageBytes`.
    package func tooLarge(size: Int) -> MailError {
        MailError(
            code: .tooLarge,
            message: "message too large: \(size) bytes, over the limit of \(maxMessageBytes) bytes (\(maxMessageBytes / 1_048_576) MiB) for one message")
    }

    package init(maxMessageBytes: Int, maxAttachmentBytes: Int, maxDepth: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.maxAttachmentBytes = maxAttachmentBytes
        self.maxDepth = maxDepth
    }
}
