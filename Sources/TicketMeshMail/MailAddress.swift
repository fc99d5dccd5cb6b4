import Foundation

/// One mailbox of an address header: `"Wang Li" <wang@example.com>` or `wang@example.com`.
package struct MailAddress: Sendable, Hashable, Codable {
    /// The display name, decoded; nil when the header gives none.
    package var name: String?
    /// `local@domain` as written, with the domain lower-cased.
    package var address: String

    package init(name: String?, address: String) {
        self.name = name
        self.address = address
    }

    /// The part before the `@`.
    package var localPart: Substring { address.split(separator: "@", maxSplits: 1).first ?? "" }
    /// The part after the `@`, lower-cased.
    package var domain: String { address.split(separator: "@", maxSplits: 1).dropFirst().first.map { $0.lowercased() } ?? "" }

    /// Parses the mailboxes of an address list (`From`, `To`, `Cc`), skipping groups' names and comments.
    ///
    /// Returns only entries that hold an `@`; the display names are decoded from RFC 2047 words.
    package static func parseList(_ value: String) -> [MailAddress] {
        var result: [MailAddress] = []
        for item in splitTopLevel(value) {
            var text = item.trimmingCharacters(in: .whitespaces)
            // A group "name: a, b;" — the name is not a mailbox.
            if let colon = text.firstIndex(of: ":"), !text[..<colon].contains("<"), !text[..<colon].contains("@") {
                text = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            text = text.trimmingCharacters(in: CharacterSet(charactersIn: ";"))
            let address: String
            var name: String?
            if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
                address = String(text[text.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
                let display = String(text[..<open]).trimmingCharacters(in: .whitespaces)
                if !display.isEmpty { name = display }
            } else {
                var bare = text
                // "addr (Comment)" — the comment is the old way to give a name.
                if let open = bare.firstIndex(of: "("), let close = bare.lastIndex(of: ")"), open < close {
                    let comment = String(bare[bare.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
                    if !comment.isEmpty { name = comment }
                    bare = String(bare[..<open])
                }
                address = bare.trimmingCharacters(in: .whitespaces)
            }
            guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex,
                !address.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "," })
            else { continue }
            let normalized = address[..<at] + "@" + address[address.index(after: at)...].lowercased()
            if let raw = name {
                var display = raw
                if display.hasPrefix("\""), display.hasSuffix("\""), display.count >= 2 {
                    display = String(display.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                }
                display = TransferEncoding.decodeWords(display).trimmingCharacters(in: .whitespaces)
                name = display.isEmpty ? nil : display
            }
            result.append(MailAddress(name: name, address: String(normalized)))
        }
        return result
    }

    /// Splits on commas outside quotes, angle brackets and comments.
    private static func splitTopLevel(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var angle = 0
        var comment = 0
        var escaped = false
        for character in value {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"" where comment == 0: quoted.toggle()
            case "<" where !quoted && comment == 0: angle += 1
            case ">" where !quoted && comment == 0: angle = max(0, angle - 1)
            case "(" where !quoted: comment += 1
            case ")" where !quoted: comment = max(0, comment - 1)
            case "," where !quoted && angle == 0 && comment == 0:
                parts.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(current) }
        return parts
    }

    /// The header form: `=?UTF-8?B?…?= <a@b>` or `"Name" <a@b>` or the bare address.
    package var headerValue: String {
        guard let name, !name.isEmpty else { return address }
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) {
            return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\" <\(address)>"
        }
        return TransferEncoding.encodeWords(name) + " <\(address)>"
    }

    /// Whether `text` is one plain address `local@domain` (no name, no brackets, no spaces), by
    /// Unicode scalar, as Docs/openapi.yaml's pattern for it reads.
    package static func isPlainAddress(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        let forbidden = Set("<>(),;:\"[]\\".unicodeScalars)
        guard scalars.count <= 254, scalars.filter({ $0 == "@" }).count == 1, let at = scalars.firstIndex(of: "@"), at > 0, at < scalars.count - 1,
            scalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !forbidden.contains($0) })
        else { return false }
        let domain = scalars[(at + 1)...]
        return domain.contains(".") || String(String.UnicodeScalarView(domain)) == "localhost"
    }
}
