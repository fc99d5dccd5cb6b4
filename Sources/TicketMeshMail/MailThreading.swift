import Foundation
import TicketMeshDomain

/// How outbound mail carries the ticket number, and how inbound mail is matched to a ticket by it.
package enum MailThreading {
    /// The subject tag of a ticket: `[TM#CS-20261202-SH-0001]`.
    package static func tag(_ number: String) -> String { "[TM#\(number)]" }

    /// The ticket number a subject carries: in a `[TM#…]` tag, else the first bare `CS-YYYYMMDD-SITE-NNNN`.
    package static func ticketNumber(inSubject subject: String) -> TicketNumber? {
        var rest = Substring(subject)
        while let range = rest.range(of: "[TM#", options: .caseInsensitive) {
            let after = rest[range.upperBound...]
            if let close = after.firstIndex(of: "]"), let number = TicketNumber(parsing: String(after[..<close]).uppercased()) {
                return number
            }
            rest = after
        }
        for token in subject.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) {
            if let number = TicketNumber(parsing: String(token).uppercased()) { return number }
        }
        return nil
    }

    /// The subject of an outbound mail: the tag, then the subject without earlier tags or `Re:` prefixes.
    package static func subject(number: String, summary: String, reply: Bool) -> String {
        var text = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        text = text.replacingOccurrences(of: tag(number), with: "").trimmingCharacters(in: .whitespaces)
        while let prefix = ["re:", "回复:", "回复：", "答复:", "aw:", "fw:", "fwd:"].first(where: { text.lowercased().hasPrefix($0) }) {
            text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        let line = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        return (reply ? "Re: " : "") + tag(number) + (line.isEmpty ? "" : " " + String(line.prefix(150)))
    }
}
