import NIOCore
import TicketMeshDomain
import TicketMeshReplication

/// One message of the sync protocol (Docs/sync-protocol.md).
///
/// On the wire: u32 length (of what follows), u8 kind, payload; big-endian throughout.
package enum Frame: Hashable, Sendable {
    /// Kind 1: the first frame each side sends.
    case hello(Hello)
    /// Kind 2: blocks the receiver lacks, in (origin, seq) order.
    case batch(Batch)
    /// Kind 3: the receiver applied batch `number` in one transaction.
    case ack(Ack)
    /// Kind 4: the sender has nothing more; it sent `batches` batches in this session.
    case done(batches: UInt32)
    /// Kind 5: this side's exchange is complete (all its batches acknowledged, all the peer's applied).
    case bye
    /// Kind 6: the sender refuses the session, and says why.
    case refuse(String)

    /// The bytes of the length prefix.
    package static let prefixBytes = 4
    /// The longest refusal message carried.
    static let maxMessageBytes = 4096

    var kind: UInt8 {
        switch self {
        case .hello: 1
        case .batch: 2
        case .ack: 3
        case .done: 4
        case .bye: 5
        case .refuse: 6
        }
    }

    /// The frame with its length prefix, ready to write.
    package func encoded() -> ByteBuffer {
        var writer = ByteWriter(capacity: 64)
        writer.write(kind)
        switch self {
        case .hello(let hello): hello.encode(into: &writer)
        case .batch(let batch): batch.encode(into: &writer)
        case .ack(let ack):
            writer.write(ack.number)
            writer.write(ack.applied)
            writer.write(ack.duplicates)
            writer.write(ack.refused)
        case .done(let batches): writer.write(batches)
        case .bye: break
        case .refuse(let message): writer.writeLong(String(message.utf8.prefix(Self.maxMessageBytes)) ?? "refused")
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.prefixBytes + writer.bytes.count)
        buffer.writeInteger(UInt32(writer.bytes.count))
        buffer.writeBytes(writer.bytes)
        return buffer
    }

    /// Decodes one frame's body (without its length prefix, as `FrameDecoder` yields it).
    ///
    /// - Throws: `SyncError.malformedFrame` naming what is wrong; nothing of the frame is used then.
    package init(decoding buffer: ByteBuffer) throws(SyncError) {
        var reader = ByteReader(Array(buffer.readableBytesView))
        do {
            let kind = try reader.read(UInt8.self)
            switch kind {
            case 1: self = .hello(try Hello(from: &reader))
            case 2: self = .batch(try Batch(from: &reader))
            case 3:
                self = .ack(
                    Ack(number: try reader.read(), applied: try reader.read(), duplicates: try reader.read(), refused: try reader.read()))
            case 4: self = .done(batches: try reader.read())
            case 5: self = .bye
            case 6: self = .refuse(try reader.readLong(field: "refusal", limit: Self.maxMessageBytes))
            default: throw SyncError.malformed("unknown frame kind \(kind)")
            }
            try reader.expectEnd()
        } catch let error as ReplicationError {
            throw SyncError.malformed(error.message)
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError.malformed("\(error)")
        }
    }
}

/// The handshake: who we are, what we speak, what we hold, what time we think it is.
package struct Hello: Hashable, Sendable {
    /// The version of this protocol this build speaks (2: blocks and chain heads; 3: and the
    /// changes the sender holds blank, `wanted`).
    package static let currentProtocol: UInt16 = 3
    static let magic: [UInt8] = Array("TMSY".utf8)
    static let maxVectorEntries = 10_000
    static let maxWanted = 256

    package var protocolVersion: UInt16
    /// `ChangeSet.formatVersion` of the sender: the block encoding inside batches.
    package var changeFormat: UInt16
    package var site: SiteCode
    /// The sender's clock when it sent the hello.
    package var now: HLC
    /// What the sender holds: per origin its last block's seq and hash. The receiver sends the
    /// blocks after it, or the origin's whole chain where it holds a different block there.
    package var heads: ChainHeads
    /// Changes the sender holds blank for rows it has not purged (`Replica.blankChanges`): the
    /// receiver sends the blocks holding their values, if it has them (at most `maxWanted`).
    package var wanted: [ChangeRef]

    package var vector: VersionVector { heads.vector }

    package init(
        site: SiteCode,
        now: HLC,
        heads: ChainHeads,
        wanted: [ChangeRef] = [],
        protocolVersion: UInt16 = Hello.currentProtocol,
        changeFormat: UInt16 = ChangeSet.formatVersion
    ) {
        self.protocolVersion = protocolVersion
        self.changeFormat = changeFormat
        self.site = site
        self.now = now
        self.heads = heads
        self.wanted = Array(wanted.prefix(Self.maxWanted))
    }

    func encode(into writer: inout ByteWriter) {
        writer.append(Self.magic)
        writer.write(protocolVersion)
        writer.write(changeFormat)
        writer.writeShort(site.rawValue)
        writer.write(now)
        let entries = heads.entries.sorted { $0.key < $1.key }
        writer.write(UInt32(entries.count))
        for (origin, head) in entries {
            writer.writeShort(origin.rawValue)
            writer.write(UInt64(head.seq))
            writer.append(head.hash.bytes)
        }
        writer.write(UInt32(wanted.count))
        for ref in wanted {
            writer.writeShort(ref.origin.rawValue)
            writer.write(UInt64(ref.seq))
        }
    }

    init(from reader: inout ByteReader) throws {
        guard Array(try reader.readBytes(Self.magic.count)) == Self.magic else {
            throw SyncError.malformed(
                "hello does not start with 'TMSY': the peer does not speak the TicketMesh sync protocol"
            )
        }
        protocolVersion = try reader.read()
        changeFormat = try reader.read()
        guard protocolVersion == Self.currentProtocol else {
            // Older peers lay out the rest differently: keep what identifies them for the version check.
            site = try reader.readSite(field: "hello site")
            now = .zero
            heads = ChainHeads()
            wanted = []
            reader.skipToEnd()
            return
        }
        site = try reader.readSite(field: "hello site")
        now = try reader.readHLC()
        guard now.physical >= 0, now.physical <= Block.maxPhysical else {
            throw SyncError.malformed("hello clock \(now.physical) ms is outside 0…2^53")
        }
        let count = Int(try reader.read(UInt32.self))
        guard count <= Self.maxVectorEntries else {
            throw SyncError.malformed("hello heads of \(count) entries exceed the limit of \(Self.maxVectorEntries)")
        }
        var entries: [SiteCode: ChainHead] = [:]
        for _ in 0..<count {
            let site = try reader.readSite(field: "head site")
            let seq = try reader.read(UInt64.self)
            guard seq <= UInt64(Block.maxSeq) else {
                throw SyncError.malformed("head seq \(seq) for \(site) is outside 0…2^53")
            }
            let hash = BlockHash(unchecked: Array(try reader.readBytes(BlockHash.size)))
            entries[site] = ChainHead(seq: Int64(seq), hash: hash)
        }
        heads = ChainHeads(entries)
        let wantedCount = Int(try reader.read(UInt32.self))
        guard wantedCount <= Self.maxWanted else {
            throw SyncError.malformed("hello asks for \(wantedCount) blank changes, more than the limit of \(Self.maxWanted)")
        }
        var wanted: [ChangeRef] = []
        wanted.reserveCapacity(wantedCount)
        for _ in 0..<wantedCount {
            let site = try reader.readSite(field: "wanted site")
            let seq = try reader.read(UInt64.self)
            guard seq >= 1, seq <= UInt64(Block.maxSeq) else {
                throw SyncError.malformed("wanted seq \(seq) for \(site) is outside 1…2^53")
            }
            wanted.append(ChangeRef(origin: site, seq: Int64(seq)))
        }
        self.wanted = wanted
    }
}

/// A numbered batch of blocks; numbers start at 1 in each session and each direction.
package struct Batch: Hashable, Sendable {
    /// The most blocks in one batch.
    static let maxBlocks = 100_000

    package var number: UInt32
    package var blocks: [Block]

    package init(number: UInt32, blocks: [Block]) {
        self.number = number
        self.blocks = blocks
    }

    /// The changes the batch carries, counted by acks.
    package var changeCount: Int { blocks.reduce(0) { $0 + $1.changes.count } }

    func encode(into writer: inout ByteWriter) {
        writer.write(number)
        writer.write(UInt32(blocks.count))
        for block in blocks { BlockCodec.encode(block, into: &writer) }
    }

    init(from reader: inout ByteReader) throws {
        number = try reader.read()
        let count = Int(try reader.read(UInt32.self))
        guard count <= reader.remaining / BlockCodec.minEncodedSize else {
            throw SyncError.malformed("batch count \(count) does not fit in \(reader.remaining) bytes")
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count { blocks.append(try BlockCodec.decode(from: &reader)) }
        self.blocks = blocks
    }
}

/// The receiver's acknowledgement of one applied batch.
package struct Ack: Hashable, Sendable {
    package var number: UInt32
    /// Changes new to the receiver.
    package var applied: UInt32
    /// Changes it already held (zero in a healthy session).
    package var duplicates: UInt32
    /// Changes of blocks it refused without failing the batch (a fork's losing side, kept as proof).
    package var refused: UInt32

    package init(number: UInt32, applied: UInt32, duplicates: UInt32, refused: UInt32 = 0) {
        self.number = number
        self.applied = applied
        self.duplicates = duplicates
        self.refused = refused
    }
}
