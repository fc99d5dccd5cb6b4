/// A change, change set or clock reading the replication layer refused. Nothing was applied.
package struct ReplicationError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        /// The bytes end before the structure does.
        case truncated
        /// The bytes are not a change set of a format we know (magic, version, tag, UTF-8, site code).
        case malformed
        /// The checksum does not match: the bytes were damaged in transit or at rest.
        case checksumMismatch
        /// A length or count exceeds its limit.
        case tooLarge
        /// A peer's clock, or a block's HLC, is further ahead of ours than the configured bound.
        case clockSkew
        /// A block is unsigned, badly signed, or signed by a certificate that may not sign for its origin.
        case untrusted
        /// Blocks that do not continue this replica's chain of their origin (a gap before them).
        case gap
    }

    package let code: Code
    package let message: String
    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}
