/// HTML written straight as UTF-8 bytes: markup as given, text escaped as mustache's `{{value}}`
/// escapes it (`<`, `>`, `&`, `"`, `'`).
///
/// The layout around every page and the queue page are written with it rather than by mustache:
/// mustache finds each `{{name}}` by walking its context stack with dynamic casts, which on the
/// most requested page cost more than reading the queue (Docs/performance.md, "Web queue").
struct HTML {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// Appends trusted markup as it is.
    mutating func raw(_ markup: String) { bytes.append(contentsOf: markup.utf8) }

    /// Appends `value` escaped, safe as element text and inside a quoted attribute.
    mutating func text(_ value: String) {
        let utf8 = value.utf8
        // Most values hold nothing to escape: copy them whole.
        guard utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) else {
            bytes.append(contentsOf: utf8)
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): bytes.append(contentsOf: "&#39;".utf8)
            default: bytes.append(byte)
            }
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
