import Crypto
import TicketMeshDomain

/// A versioned, checksummed batch of changes: the unit of file export and of sync batches.
///
/// Layout: magic `TMCS`, format u16, sender site (u8 + UTF-8), change count u32, then each
/// change as u32 length + `ChangeCodec` bytes, then SHA-256 of everything before it.
/// Decoding refuses truncation, damage, unknown formats and oversize input with a typed
/// error; it never allocates more than the input's size.
package struct ChangeSet: Hashable, Sendable {
    /// The format this build writes and reads.
    package static let formatVersion: UInt16 = 1
    /// The largest single change accepted.
    package static let maxChangeBytes = ChangeCodec.maxTextBytes + 1024
    static let magic: [UInt8] = Array("TMCS".utf8)
    static let checksumSize = 32

    /// The site that wrote this set (not necessarily the origin of its changes).
    package var sender: SiteCode
    package var changes: [Change]

    package init(sender: SiteCode, changes: [Change]) {
        self.sender = sender
        self.changes = changes
    }

    /// The encoded bytes, checksum included.
    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + changes.count * 96)
        writer.append(Self.magic)
        writer.write(Self.formatVersion)
        writer.writeShort(sender.rawValue)
        writer.write(UInt32(changes.count))
        var body = ByteWriter(capacity: 128)
        for change in changes {
            body = ByteWriter(capacity: 128)
            ChangeCodec.encode(change, into: &body)
            writer.write(UInt32(body.bytes.count))
            writer.append(body.bytes)
        }
        writer.append(Self.checksum(writer.bytes[...]))
        return writer.bytes
    }

    /// The trailer: SHA-256 of `bytes`.
    package static func checksum(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// Decodes and verifies `bytes`.
    ///
    /// - Throws: `ReplicationError` with `.truncated`, `.checksumMismatch`, `.malformed` or `.tooLarge`.
    package init(decoding bytes: [UInt8]) throws(ReplicationError) {
        let header = Self.magic.count + 2
        guard bytes.count >= header + Self.checksumSize else {
            throw ReplicationError(code: .truncated, message: "truncated change set: \(bytes.count) bytes is shorter than the smallest set")
        }
        guard Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw ReplicationError(code: .malformed, message: "malformed change set: not a TicketMesh change set (bad magic)")
        }
        let payloadEnd = bytes.count - Self.checksumSize
        let expected = Array(bytes[payloadEnd...])
        guard Self.checksum(bytes[0..<payloadEnd]) == expected else {
            throw ReplicationError(code: .checksumMismatch, message: "damaged change set: checksum mismatch (truncated or altered)")
        }
        var reader = ByteReader(Array(bytes[0..<payloadEnd]), offset: Self.magic.count)
        let format = try reader.read(UInt16.self)
        guard format == Self.formatVersion else {
            throw ReplicationError(code: .malformed, message: "unsupported change-set format \(format): this build reads format \(Self.formatVersion)")
        }
        sender = try reader.readSite(field: "sender")
        let count = Int(try reader.read(UInt32.self))
        guard count <= reader.remaining / (4 + ChangeCodec.minEncodedSize) else {
            throw ReplicationError(code: .malformed, message: "malformed change set: count \(count) does not fit in \(reader.remaining) bytes")
        }
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for index in 0..<count {
            let length = Int(try reader.read(UInt32.self))
            guard length <= Self.maxChangeBytes else {
                throw ReplicationError(code: .tooLarge, message: "change \(index) of \(length) bytes exceeds the limit of \(Self.maxChangeBytes)")
            }
            var inner = ByteReader(Array(try reader.readBytes(length)))
            let change = try ChangeCodec.decode(from: &inner)
            try inner.expectEnd()
            changes.append(change)
        }
        try reader.expectEnd()
        self.changes = changes
    }
}
