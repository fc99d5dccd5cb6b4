import TicketMeshDomain

/// The binary form of one change, shared by change-set files and sync frames.
///
/// Layout (big-endian): origin (u8 len + UTF-8), seq u64, HLC (i64 + u32), entity (u8 + UTF-8),
/// row id (u8 + UTF-8), field (u8 + UTF-8), value tag u8 (0 null, 1 int i64, 2 text u32 len + UTF-8,
/// 3 scrubbed by a purge: the 32-byte leaf hash it had),
/// base tag u8 (0 none, 1 HLC + site), actor (u8 len + UTF-8; empty means none).
package enum ChangeCodec {
    /// The largest text value a change may carry (1 MiB).
    package static let maxTextBytes = 1 << 20
    /// The smallest encoding of a change; used to bound counts before allocating.
    package static let minEncodedSize = 3 + 8 + 12 + 2 + 2 + 2 + 1 + 1 + 1

    /// The bytes `change` takes encoded.
    package static func encodedSize(of change: Change) -> Int {
        var size = 1 + change.origin.rawValue.utf8.count + 8 + 12
        size += 3 + change.entity.utf8.count + change.rowID.utf8.count + change.field.utf8.count
        switch change.value {
        case .null: size += change.scrubbed == nil ? 1 : 1 + BlockHash.size
        case .int: size += 9
        case .text(let text): size += 5 + text.utf8.count
        }
        if let base = change.base { size += 1 + 12 + 1 + base.site.rawValue.utf8.count } else { size += 1 }
        size += 1 + min(change.actor?.utf8.count ?? 0, 255)
        return size
    }

    package static func encode(_ change: Change, into writer: inout ByteWriter) {
        writer.writeShort(change.origin.rawValue)
        writer.write(UInt64(change.seq))
        writer.write(change.hlc)
        writer.writeShort(change.entity)
        writer.writeShort(change.rowID)
        writer.writeShort(change.field)
        switch change.value {
        case .null:
            if let scrubbed = change.scrubbed {
                writer.write(UInt8(3))
                writer.append(scrubbed.bytes)
            } else {
                writer.write(UInt8(0))
            }
        case .int(let value):
            writer.write(UInt8(1))
            writer.write(value)
        case .text(let value):
            writer.write(UInt8(2))
            writer.writeLong(value)
        }
        if let base = change.base {
            writer.write(UInt8(1))
            writer.write(base.hlc)
            writer.writeShort(base.site.rawValue)
        } else {
            writer.write(UInt8(0))
        }
        writer.writeShort(change.actor.map { String(String.UnicodeScalarView($0.unicodeScalars.prefix(63))) } ?? "")
    }

    package static func decode(from reader: inout ByteReader) throws(ReplicationError) -> Change {
        let origin = try reader.readSite(field: "origin")
        let rawSeq = try reader.read(UInt64.self)
        guard rawSeq >= 1, rawSeq <= UInt64(Int64.max) else {
            throw ReplicationError(code: .malformed, message: "malformed change: seq \(rawSeq) must be ≥ 1")
        }
        let hlc = try reader.readHLC()
        let entity = try reader.readShort(field: "entity")
        let rowID = try reader.readShort(field: "row id")
        let field = try reader.readShort(field: "field")
        guard !entity.isEmpty, !rowID.isEmpty, !field.isEmpty else {
            throw ReplicationError(code: .malformed, message: "malformed change: entity, row id and field must be non-empty")
        }
        var value = FieldValue.null
        var scrubbed: BlockHash?
        switch try reader.read(UInt8.self) {
        case 0: break
        case 3: scrubbed = BlockHash(unchecked: Array(try reader.readBytes(BlockHash.size)))
        case 1: value = .int(try reader.read(Int64.self))
        case 2: value = .text(try reader.readLong(field: "value", limit: maxTextBytes))
        case let tag: throw ReplicationError(code: .malformed, message: "malformed change: unknown value tag \(tag)")
        }
        let base: Version?
        switch try reader.read(UInt8.self) {
        case 0: base = nil
        case 1: base = Version(hlc: try reader.readHLC(), site: try reader.readSite(field: "base site"))
        case let tag: throw ReplicationError(code: .malformed, message: "malformed change: unknown base tag \(tag)")
        }
        let actor = try reader.readShort(field: "actor")
        return Change(
            origin: origin, seq: Int64(rawSeq), hlc: hlc, entity: entity, rowID: rowID, field: field, value: value,
            base: base, actor: actor.isEmpty ? nil : actor, scrubbed: scrubbed)
    }
}
