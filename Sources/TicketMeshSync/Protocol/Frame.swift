import NIOCore
import TicketMeshDomain
import TicketMeshReplication

/// One message of the sync protocol (Docs/sync-protocol.md).
///
/// On the wire: u32 length (of what follows), u8 kind, payload; big-endian throughout.
package enum Frame: Hashable, Sendable {
    /// Kind 1: the first frame each side sends.
    case hello(Hello)
    /// Kind 2: changes the receiver lacks, in (origin, seq) order.
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
                self = .ack(Ack(number: try reader.read(), applied: try reader.read(), duplicates: try reader.read()))
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
    /// The version of this protocol this build speaks.
    package static let currentProtocol: UInt16 = 1
    static let magic: [UInt8] = Array("TMSY".utf8)
    static let maxVectorEntries = 10_000

    package var protocolVersion: UInt16
    /// `ChangeSet.formatVersion` of the sender: the change encoding inside batches.
    package var changeFormat: UInt16
    package var site: SiteCode
    /// The sender's clock when it sent the hello.
    package var now: HLC
    /// What the sender holds: the receiver sends exactly the changes outside it.
    package var vector: VersionVector

    package init(
        site: SiteCode,
        now: HLC,
        vector: VersionVector,
        protocolVersion: UInt16 = Hello.currentProtocol,
        changeFormat: UInt16 = ChangeSet.formatVersion
    ) {
        self.protocolVersion = protocolVersion
        self.changeFormat = changeFormat
        self.site = site
        self.now = now
        self.vector = vector
    }

    func encode(into writer: inout ByteWriter) {
        writer.append(Self.magic)
        writer.write(protocolVersion)
        writer.write(changeFormat)
        writer.writeShort(site.rawValue)
        writer.write(now)
        let entries = vector.sortedEntries
        writer.write(UInt32(entries.count))
        for entry in entries {
            writer.writeShort(entry.site.rawValue)
            writer.write(UInt64(entry.seq))
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
        site = try reader.readSite(field: "hello site")
        now = try reader.readHLC()
        let count = Int(try reader.read(UInt32.self))
        guard count <= Self.maxVectorEntries else {
            throw SyncError.malformed("hello vector of \(count) entries exceeds the limit of \(Self.maxVectorEntries)")
        }
        var entries: [SiteCode: Int64] = [:]
        for _ in 0..<count {
            let site = try reader.readSite(field: "vector site")
            let seq = try reader.read(UInt64.self)
            guard seq <= UInt64(Int64.max) else {
                throw SyncError.malformed("vector seq \(seq) for \(site) is out of range")
            }
            entries[site] = Int64(seq)
        }
        vector = VersionVector(entries)
    }
}

/// A numbered batch of changes; numbers start at 1 in each session and each direction.
package struct Batch: Hashable, Sendable {
    package var number: UInt32
    package var changes: [Change]

    package init(number: UInt32, changes: [Change]) {
        self.number = number
        self.changes = changes
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(number)
        writer.write(UInt32(changes.count))
        for change in changes { ChangeCodec.encode(change, into: &writer) }
    }

    init(from reader: inout ByteReader) throws {
        number = try reader.read()
        let count = Int(try reader.read(UInt32.self))
        guard count <= reader.remaining / ChangeCodec.minEncodedSize else {
            throw SyncError.malformed("batch count \(count) does not fit in \(reader.remaining) bytes")
        }
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for _ in 0..<count { changes.append(try ChangeCodec.decode(from: &reader)) }
        self.changes = changes
    }

    /// The bytes `change` takes in a batch; used to cut batches at a byte budget.
    package static func encodedSize(of change: Change) -> Int {
        var size = 1 + change.origin.rawValue.utf8.count + 8 + 12
        size += 3 + change.entity.utf8.count + change.rowID.utf8.count + change.field.utf8.count
        switch change.value {
        case .null: size += 1
        case .int: size += 9
        case .text(let text): size += 5 + text.utf8.count
        }
        if let base = change.base { size += 1 + 12 + 1 + base.site.rawValue.utf8.count } else { size += 1 }
        size += 1 + min(change.actor?.utf8.count ?? 0, 255)
        return size
    }
}

/// The receiver's acknowledgement of one applied batch.
package struct Ack: Hashable, Sendable {
    package var number: UInt32
    /// Changes new to the receiver.
    package var applied: UInt32
    /// Changes it already held (zero in a healthy session).
    package var duplicates: UInt32

    package init(number: UInt32, applied: UInt32, duplicates: UInt32) {
        self.number = number
        self.applied = applied
        self.duplicates = duplicates
    }
}
