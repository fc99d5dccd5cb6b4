import Foundation

/// The MIME content transfer encodings (RFC 2045) and RFC 2047 encoded words.
package enum TransferEncoding {
    /// Decodes base64, skipping line breaks and any character outside the alphabet (RFC 2045 §6.8).
    package static func base64(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return out
            default: continue
            }
            buffer = (buffer << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }

    /// Decodes quoted-printable (RFC 2045 §6.7): `=XX` escapes and `=` soft line breaks; with
    /// `header`, `_` is a space (RFC 2047 "Q").
    package static func quotedPrintable(_ bytes: [UInt8], header: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
                // A soft line break: '=' then optional spaces, then CRLF or LF.
                var next = index + 1
                while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
                if next < bytes.count, bytes[next] == 0x0D { next += 1 }
                if next < bytes.count, bytes[next] == 0x0A {
                    index = next + 1
                    continue
                }
                if next >= bytes.count {
                    index = next
                    continue
                }
                out.append(byte)
                index += 1
            } else if header, byte == UInt8(ascii: "_") {
                out.append(0x20)
                index += 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Base64 with lines of 76 characters and CRLF breaks, for bodies.
    package static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return lines.joined(separator: "\r\n")
    }

    /// Decodes the RFC 2047 encoded words in a header value (`=?charset?B|Q?text?=`).
    ///
    /// White space between two adjacent encoded words is dropped, as the RFC says. A word in a
    /// charset iconv does not know, or whose bytes are invalid, is left as it stands.
    package static func decodeWords(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var result = ""
        var rest = Substring(value)
        var lastWasWord = false
        while !rest.isEmpty {
            if let range = rest.range(of: "=?"), let word = encodedWord(in: rest[range.lowerBound...]) {
                let before = rest[rest.startIndex..<range.lowerBound]
                if lastWasWord && before.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }) {
                    // adjacent encoded words: the space between them is not part of the text
                } else {
                    result += before
                }
                if let text = word.text {
                    result += text
                    lastWasWord = true
                } else {
                    result += word.raw
                    lastWasWord = false
                }
                rest = rest[word.end...]
            } else {
                result += rest
                rest = rest[rest.endIndex...]
            }
        }
        return result
    }

    private static func encodedWord(in text: Substring) -> (raw: String, text: String?, end: Substring.Index)? {
        // =?charset?enc?payload?=
        let parts = text.dropFirst(2)
        guard let q1 = parts.firstIndex(of: "?") else { return nil }
        let charset = parts[parts.startIndex..<q1]
        let afterCharset = parts[parts.index(after: q1)...]
        guard let q2 = afterCharset.firstIndex(of: "?") else { return nil }
        let encoding = afterCharset[afterCharset.startIndex..<q2].uppercased()
        let payloadStart = afterCharset.index(after: q2)
        guard let close = afterCharset[payloadStart...].range(of: "?=") else { return nil }
        let payload = afterCharset[payloadStart..<close.lowerBound]
        guard !charset.isEmpty, encoding == "B" || encoding == "Q", !payload.contains(" ") else { return nil }
        let raw = String(text[text.startIndex..<close.upperBound])
        // RFC 2231 language suffix: charset*lang
        let label = String(charset.split(separator: "*").first ?? charset)
        let bytes = encoding == "B" ? base64(payload.utf8) : quotedPrintable(Array(payload.utf8), header: true)
        return (raw, try? Charset.decode(bytes, charset: label), close.upperBound)
    }

    /// A header value as RFC 2047 encoded words when it is not plain ASCII (UTF-8, "B").
    ///
    /// Each word holds whole characters and stays within 75 characters; words are joined by
    /// folding white space.
    package static func encodeWords(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 0x20 }) else { return value }
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
            chunk = []
        }
        for character in value {
            let bytes = Array(String(character).utf8)
            // 45 bytes → 60 base64 characters, + 12 for the markers: within 75.
            if chunk.count + bytes.count > 45 { flush() }
            chunk += bytes
        }
        flush()
        return words.joined(separator: "\r\n ")
    }
}
