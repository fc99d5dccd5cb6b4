import Foundation
import Glibc

/// Converts text in a MIME charset to Swift strings, through glibc's iconv.
///
/// Foundation on Linux (swift-corelibs-foundation) maps `String.Encoding` to CoreFoundation's
/// own tables, which have no GBK, GB18030 or Big5; glibc's iconv has them (Docs/email.md, "Charsets").
package enum Charset {
    /// The iconv name for a MIME charset label; labels senders use for the same table are folded.
    ///
    /// `gb2312` and `gbk` are read as GB18030, their superset: mail clients label GBK text `gb2312`.
    static func iconvName(_ label: String) -> String {
        let name = label.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'")).lowercased()
        switch name {
        case "utf8", "utf-8", "us-ascii", "ascii", "ansi_x3.4-1968": return "UTF-8"
        case "gb2312", "gbk", "cp936", "x-gbk", "euc-cn", "gb18030": return "GB18030"
        case "big5", "big-5", "cn-big5", "x-x-big5": return "BIG5"
        case "big5-hkscs": return "BIG5-HKSCS"
        default: return name.uppercased()
        }
    }

    /// Decodes `bytes` in the charset labelled `label`.
    ///
    /// - Throws: `MailError.invalidCharset` naming the charset for a label iconv does not know, or
    ///   for bytes that are not valid in it (with the offset of the first bad byte).
    package static func decode(_ bytes: [UInt8], charset label: String) throws(MailError) -> String {
        let name = iconvName(label)
        if name == "UTF-8" {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw MailError(code: .invalidCharset, message: "invalid charset data: the text is declared \(label) but is not valid UTF-8")
            }
            return text
        }
        let cd = iconv_open("UTF-8", name)
        guard let cd, cd != iconv_t(bitPattern: -1) else {
            throw MailError(
                code: .invalidCharset,
                message: "invalid charset '\(label)': this system cannot convert it (known: UTF-8, GBK, GB18030, Big5, ISO-8859-*, and what 'iconv -l' lists)")
        }
        defer { iconv_close(cd) }
        if bytes.isEmpty { return "" }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 16)
        let total = input.count
        var inLeft = total
        var outLeft = output.count
        let failed: Bool = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                return iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft) == -1
            }
        }
        if failed || inLeft > 0 {
            throw MailError(
                code: .invalidCharset,
                message: "invalid charset data: the text is declared \(label) but byte \(total - inLeft) is not valid \(label)")
        }
        let produced = output.count - outLeft
        return String(decoding: output[0..<produced].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

