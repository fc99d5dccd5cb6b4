import Foundation
import NIOCore
import Synchronization

/// HTML written straight as UTF-8 bytes: markup as given, text escaped as mustache's `{{value}}`
/// escapes it (`<`, `>`, `&`, `"`, `'`).
///
/// The layout around every page and the queue page are written with it rather than by mustache:
/// mustache finds each `{{name}}` by walking its context stack with dynamic casts, which on the
/// most requested page cost more than reading the queue (Docs/performance.md, "Web queue").
struct HTML {
    /// What is written so far; a response's body as it is (no copy).
    private(set) var buffer: ByteBuffer

    init(capacity: Int = 4096) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    /// Appends trusted markup as it is.
    mutating func raw(_ markup: String) {
        buffer.writeString(markup)
    }

    /// Appends markup written before (a kept piece of a page).
    mutating func append(_ written: [UInt8]) {
        buffer.writeBytes(written)
    }

    /// Appends `value` escaped, safe as element text and inside a quoted attribute.
    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            // Copy the runs between special characters whole; most values have none.
            var start = 0
            for index in source.indices {
                let entity: StaticString
                switch source[index] {
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: source[start..<index])))
                buffer.writeStaticString(entity)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: source[start...])))
        }
    }

    /// Appends `separator` and `value` (0–99) as two digits.
    mutating func twoDigits(_ value: Int64, after separator: Unicode.Scalar) {
        buffer.writeInteger(UInt8(ascii: separator))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    /// What is written so far, as bytes to keep (a copy).
    var bytes: [UInt8] { Array(buffer.readableBytesView) }

    var string: String { String(buffer: buffer) }
}

/// A time zone's offset from UTC by minute, remembered. Zones change offsets on whole minutes of
/// UTC (the last exception in the tz database, Liberia's, was in 1972), so every second of a
/// minute shares its offset.
final class ZoneOffsets: Sendable {
    private let zone: TimeZone
    private let known = Mutex<[Int64: Int64]>([:])
    /// Past this many minutes the memory starts again empty.
    static let capacity = 8192

    init(_ zone: TimeZone) { self.zone = zone }

    /// The offset in seconds at `seconds` since 1970.
    func seconds(at seconds: Int64) -> Int64 {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        if let offset = known.withLock({ $0[minute] }) { return offset }
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(minute * 60))))
        known.withLock { known in
            if known.count >= Self.capacity { known.removeAll(keepingCapacity: true) }
            known[minute] = offset
        }
        return offset
    }
}
