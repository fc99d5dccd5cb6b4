import Foundation

/// Walks a MIME tree (RFC 2045–2047, 2231): picks the text the customer wrote and collects attachments.
struct PartWalker {
    let limits: MailLimits
    var text: String?
    var html: String?
    var charset: String?
    var attachments: [MailAttachment] = []

    init(limits: MailLimits) { self.limits = limits }

    /// A header value split into its main token (lower-cased) and parameters (names lower-cased).
    static func parameters(_ value: String) -> (token: String, params: [String: String]) {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for character in value {
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        let token = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        var params: [String: String] = [:]
        var continued: [String: [(Int, String, Bool)]] = [:]
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { continue }
            var name = part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var raw = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            // RFC 2231: name*=charset'lang'pct-encoded, and name*0*=… continuations.
            var extended = false
            if name.hasSuffix("*") {
                extended = true
                name.removeLast()
            }
            if let star = name.firstIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
                continued[String(name[..<star]), default: []].append((index, raw, extended))
                continue
            }
            params[name] = extended ? decode2231(raw, first: true) : raw
        }
        for (name, pieces) in continued {
            let sorted = pieces.sorted { $0.0 < $1.0 }
            let charset = sorted.first.flatMap { $0.2 ? String($0.1.split(separator: "'", omittingEmptySubsequences: false).first ?? "") : nil }
            var bytes: [UInt8] = []
            for (offset, piece) in sorted.enumerated() {
                var value = piece.1
                if piece.2, offset == 0 {
                    let fields = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                    value = fields.count == 3 ? String(fields[2]) : value
                }
                bytes += piece.2 ? percentDecoded(value) : Array(value.utf8)
            }
            params[name] = (try? Charset.decode(bytes, charset: charset ?? "utf-8")) ?? String(decoding: bytes, as: UTF8.self)
        }
        return (token, params)
    }

    static func decode2231(_ value: String, first: Bool) -> String {
        let fields = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return String(decoding: percentDecoded(value), as: UTF8.self) }
        let bytes = percentDecoded(String(fields[2]))
        return (try? Charset.decode(bytes, charset: String(fields[0]))) ?? String(decoding: bytes, as: UTF8.self)
    }

    static func percentDecoded(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(value.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let byte = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                out.append(byte)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    mutating func walk(headers: [(name: String, value: String)], body: [UInt8], depth: Int) throws(MailError) {
        func raw(_ name: String) -> String? { headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value }
        let (type, params) = Self.parameters(raw("Content-Type") ?? "text/plain")
        let mediaType = type.isEmpty ? "text/plain" : type
        let (disposition, dispositionParams) = Self.parameters(raw("Content-Disposition") ?? "")
        if mediaType.hasPrefix("multipart/") {
            guard depth < limits.maxDepth else {
                throw MailError(code: .malformed, message: "invalid MIME structure: multiparts nest deeper than \(limits.maxDepth) levels")
            }
            guard let boundary = params["boundary"], !boundary.isEmpty else {
                throw MailError(code: .malformed, message: "invalid Content-Type '\(mediaType)': a multipart needs a boundary parameter")
            }
            for part in Self.split(body, boundary: boundary) {
                let (headerBytes, start) = MailMessage.splitHeader(part, from: 0)
                let partHeaders: [(name: String, value: String)]
                let partBody: [UInt8]
                if let start {
                    // A part with no header fields at all starts with the empty line.
                    partHeaders = try headerBytes.isEmpty ? [] : MailMessage.parseHeaders(headerBytes)
                    partBody = Array(part[start...])
                } else {
                    partHeaders = []
                    partBody = part
                }
                try walk(headers: partHeaders, body: partBody, depth: depth + 1)
            }
            return
        }
        let encoding = (raw("Content-Transfer-Encoding") ?? "7bit").trimmingCharacters(in: .whitespaces).lowercased()
        let decoded: [UInt8] =
            switch encoding {
            case "base64": TransferEncoding.base64(body)
            case "quoted-printable": TransferEncoding.quotedPrintable(body)
            default: body
            }
        let name = dispositionParams["filename"] ?? params["name"]
        let isAttachment = disposition == "attachment" || !mediaType.hasPrefix("text/")
        if !isAttachment, mediaType == "text/plain" || mediaType == "text/html" {
            if mediaType == "text/plain", text == nil {
                let (value, label) = try Self.decodeText(decoded, label: params["charset"])
                text = value.replacingOccurrences(of: "\r\n", with: "\n")
                charset = label
                return
            }
            if mediaType == "text/html", html == nil {
                let (value, label) = try Self.decodeText(decoded, label: params["charset"])
                html = value
                if charset == nil { charset = label }
                return
            }
        }
        if mediaType == "text/plain" || mediaType == "text/html", disposition != "attachment", name == nil {
            // A second inline text part (e.g. the HTML twin of the text): not an attachment.
            return
        }
        let filename = Self.safeFilename(name.map(TransferEncoding.decodeWords) ?? "part-\(attachments.count + 1)", type: mediaType)
        let keep = decoded.count <= limits.maxAttachmentBytes
        attachments.append(MailAttachment(filename: filename, contentType: mediaType, size: decoded.count, data: keep ? decoded : nil))
    }

    /// Text in its declared charset; unlabelled 8-bit text is read as UTF-8, else as GB18030
    /// (older Chinese clients send GBK without a label).
    static func decodeText(_ bytes: [UInt8], label: String?) throws(MailError) -> (String, String) {
        if let label { return (try Charset.decode(bytes, charset: label), label.lowercased()) }
        if let text = String(validating: bytes, as: UTF8.self) { return (text, "utf-8") }
        if let text = try? Charset.decode(bytes, charset: "gb18030") { return (text, "gb18030") }
        throw MailError(code: .invalidCharset, message: "invalid charset data: the text has no charset label and is neither UTF-8 nor GB18030")
    }

    /// A file name without directories or control characters, at most 200 characters.
    static func safeFilename(_ name: String, type: String) -> String {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init)).trimmingCharacters(in: .whitespaces)
        let usable = cleaned.isEmpty || cleaned == "." || cleaned == ".." ? (type == "message/rfc822" ? "message.eml" : "attachment") : cleaned
        return String(usable.prefix(200))
    }

    /// The bodies between `--boundary` lines, up to `--boundary--`.
    static func split(_ body: [UInt8], boundary: String) -> [[UInt8]] {
        let marker = Array(("--" + boundary).utf8)
        var parts: [[UInt8]] = []
        var current: [UInt8]?
        var lineStart = 0
        var index = 0
        func isMarker(_ line: ArraySlice<UInt8>) -> (Bool, Bool) {
            var trimmed = line
            while let last = trimmed.last, last == 0x0D || last == 0x20 || last == 0x09 { trimmed = trimmed.dropLast() }
            guard trimmed.starts(with: marker) else { return (false, false) }
            let rest = trimmed.dropFirst(marker.count)
            if rest.isEmpty { return (true, false) }
            if rest.elementsEqual([UInt8(ascii: "-"), UInt8(ascii: "-")]) { return (true, true) }
            return (false, false)
        }
        while index <= body.count {
            if index == body.count || body[index] == 0x0A {
                let line = body[lineStart..<index]
                let (found, closing) = isMarker(line)
                if found {
                    if var part = current {
                        // The line break before the boundary belongs to the boundary.
                        if part.last == 0x0A { part.removeLast() }
                        if part.last == 0x0D { part.removeLast() }
                        parts.append(part)
                    }
                    if closing { return parts }
                    current = []
                } else if current != nil {
                    current! += body[lineStart..<min(index + 1, body.count)]
                }
                lineStart = index + 1
            }
            index += 1
        }
        if let current, !current.isEmpty { parts.append(current) }
        return parts
    }
}
