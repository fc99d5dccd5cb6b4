import Crypto
import TicketMeshDomain

/// A versioned, checksummed list of blocks: the unit of file export (`changes export|import`).
///
/// Layout: magic `TMCS`, format u16 (2), sender site (u8 + UTF-8), block count u32, then each
/// block as u32 length + `BlockCodec` bytes, then SHA-256 of everything before it. The checksum
/// catches damage; the blocks' own hashes and signatures are what prove who wrote them.
/// Decoding refuses truncation, damage, unknown formats and oversize input with a typed
/// error; it never allocates more than the input's size.
package struct ChangeSet: Hashable, Sendable {
    /// The format this build writes and reads (1 held unsigned changes; this build refuses it).
    package static let formatVersion: UInt16 = 2
    /// The largest single change accepted.
    package static let maxChangeBytes = ChangeCodec.maxTextBytes + 1024
    /// The largest single block accepted.
    package static let maxBlockBytes = 64 << 20
    static let magic: [UInt8] = Array("TMCS".utf8)
    static let checksumSize = 32

    /// The site that wrote this set (not necessarily the origin of its blocks).
    package var sender: SiteCode
    package var blocks: [Block]

    package init(sender: SiteCode, blocks: [Block]) {
        self.sender = sender
        self.blocks = blocks
    }

    /// Every block's changes, in order.
    package var changes: [Change] { blocks.flatMap(\.changes) }

    /// The encoded bytes, checksum included.
    package func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + blocks.reduce(0) { $0 + 160 + $1.changes.count * 96 })
        writer.append(Self.magic)
        writer.write(Self.formatVersion)
        writer.writeShort(sender.rawValue)
        writer.write(UInt32(blocks.count))
        var body = ByteWriter(capacity: 4096)
        for block in blocks {
            body.removeAll()
            BlockCodec.encode(block, into: &body)
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
            throw ReplicationError(
                code: .malformed,
                message: "unsupported change-set format \(format): this build reads format \(Self.formatVersion) (signed blocks)")
        }
        sender = try reader.readSite(field: "sender")
        let count = Int(try reader.read(UInt32.self))
        guard count <= reader.remaining / (4 + BlockCodec.minEncodedSize) else {
            throw ReplicationError(code: .malformed, message: "malformed change set: count \(count) does not fit in \(reader.remaining) bytes")
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(count)
        for index in 0..<count {
            let length = Int(try reader.read(UInt32.self))
            guard length <= Self.maxBlockBytes else {
                throw ReplicationError(code: .tooLarge, message: "block \(index) of \(length) bytes exceeds the limit of \(Self.maxBlockBytes)")
            }
            var inner = ByteReader(Array(try reader.readBytes(length)))
            let block = try BlockCodec.decode(from: &inner)
            try inner.expectEnd()
            blocks.append(block)
        }
        try reader.expectEnd()
        self.blocks = blocks
    }
}
