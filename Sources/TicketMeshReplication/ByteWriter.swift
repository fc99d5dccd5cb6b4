import TicketMeshDomain

/// Appends big-endian integers and length-prefixed strings to a byte buffer.
package struct ByteWriter: Sendable {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    package mutating func write(_ value: UInt8) { bytes.append(value) }

    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(_ hlc: HLC) {
        write(hlc.physical)
        write(hlc.logical)
    }

    /// A string with a UInt8 length prefix; precondition: at most 255 UTF-8 bytes.
    package mutating func writeShort(_ text: String) {
        let utf8 = Array(text.utf8)
        precondition(utf8.count <= Int(UInt8.max), "short string too long")
        write(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A string with a UInt32 length prefix.
    package mutating func writeLong(_ text: String) {
        let utf8 = Array(text.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    package mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Empties the buffer, keeping its capacity.
    package mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}

/// Reads what `ByteWriter` wrote, refusing anything that runs past the end or breaks a limit.
package struct ByteReader: Sendable {
    private let bytes: [UInt8]
    package private(set) var offset: Int

    package init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    package var remaining: Int { bytes.count - offset }

    package mutating func readBytes(_ count: Int) throws(ReplicationError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw ReplicationError(code: .truncated, message: "truncated change set: needed \(count) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    package mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(ReplicationError) -> T {
        let slice = try readBytes(MemoryLayout<T>.size)
        var value: T = 0
        for byte in slice { value = (value << 8) | T(byte) }
        return value
    }

    package mutating func readHLC() throws(ReplicationError) -> HLC {
        HLC(physical: try read(Int64.self), logical: try read(UInt32.self))
    }

    package mutating func readShort(field: String) throws(ReplicationError) -> String {
        let count = Int(try read(UInt8.self))
        return try decodeUTF8(try readBytes(count), field: field)
    }

    package mutating func readLong(field: String, limit: Int) throws(ReplicationError) -> String {
        let count = Int(try read(UInt32.self))
        guard count <= limit else {
            throw ReplicationError(code: .tooLarge, message: "\(field) of \(count) bytes exceeds the limit of \(limit)")
        }
        return try decodeUTF8(try readBytes(count), field: field)
    }

    package mutating func readSite(field: String) throws(ReplicationError) -> SiteCode {
        let raw = try readShort(field: field)
        guard SiteCode.isValid(raw) else {
            throw ReplicationError(code: .malformed, message: "malformed change set: \(field) '\(raw)' is not a site code")
        }
        return SiteCode(trusted: raw)
    }

    /// Skips what is left.
    package mutating func skipToEnd() { offset = bytes.count }

    package func expectEnd() throws(ReplicationError) {
        guard remaining == 0 else {
            throw ReplicationError(code: .malformed, message: "malformed change set: \(remaining) unexpected trailing bytes")
        }
    }

    private func decodeUTF8(_ slice: ArraySlice<UInt8>, field: String) throws(ReplicationError) -> String {
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ReplicationError(code: .malformed, message: "malformed change set: \(field) is not valid UTF-8")
        }
        return text
    }
}
