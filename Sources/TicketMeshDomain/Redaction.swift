/// Detection and redaction of personal numbers in free text (R10.1): ID-card numbers, bank-card
/// numbers and phone numbers.
///
/// Every output a person reads passes free text through `redact(_:)` (via `Disclosure`). A
/// number is redacted only when it is a valid one (ID-card check digit or birth date, bank-card
/// Luhn, a mobile or landline shape), so order numbers and tracking numbers that fail the checks
/// survive. Docs/workflow.md ("Read rights") explains the rules.
package enum Redaction {
    /// The placeholder that replaces a resident ID-card number (18 or 15 digits).
    package static let idCardMark = "[ID-CARD REDACTED]"
    /// The placeholder that replaces a bank-card number.
    package static let bankCardMark = "[BANK-CARD REDACTED]"

    /// What a run of digits in free text was recognised as.
    package enum Kind: Sendable, Equatable {
        case idCard, bankCard, phone
    }

    /// Whether `text` (17 digits + digit or X) is a valid PRC resident ID number (GB 11643 check digit).
    package static func isIDCard(_ text: some StringProtocol) -> Bool {
        let chars = Array(text.uppercased())
        guard chars.count == 18, chars.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars.prefix(17), weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return chars[17] == check
    }

    /// Whether `digits` (15 digits) is a valid first-generation resident ID number: a 6-digit area
    /// code starting 1–8, a birth date YYMMDD of the 1900s that exists, and a 3-digit sequence.
    package static func isOldIDCard(_ digits: some StringProtocol) -> Bool {
        let values = digits.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        guard values.count == 15, values.count == digits.count, (1...8).contains(values[0]) else { return false }
        let year = 1900 + values[6] * 10 + values[7]
        let month = values[8] * 10 + values[9]
        let day = values[10] * 10 + values[11]
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Whether `digits` (13–19 digits) passes the Luhn check, as bank-card numbers do.
    package static func isBankCard(_ digits: some StringProtocol) -> Bool {
        let values = digits.compactMap { $0.isASCII ? $0.wholeNumberValue : nil }
        guard values.count == digits.count, (13...19).contains(values.count) else { return false }
        var sum = 0
        for (index, value) in values.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = value * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += value
            }
        }
        return sum % 10 == 0
    }

    /// Whether `digits`, written in groups of `groups` digits, is a phone number: a mainland
    /// mobile (11 digits `1[3-9]…`, unformatted or 3-4-4, optionally after `86` or `0086`), or a
    /// landline written with its area code apart (`010-12345678`, `0755 1234567`).
    package static func isPhone(_ digits: String, groups: [Int]) -> Bool {
        let chars = Array(digits)
        func isMobile(_ body: ArraySlice<Character>) -> Bool {
            body.count == 11 && body.first == "1" && ("3"..."9").contains(body[body.startIndex + 1])
        }
        func mobileGroups(_ groups: ArraySlice<Int>) -> Bool { groups == [11] || groups == [3, 4, 4] }
        for prefix in ["", "86", "0086"] where digits.hasPrefix(prefix) {
            let body = chars.dropFirst(prefix.count)
            guard isMobile(body) else { continue }
            if prefix.isEmpty { if mobileGroups(groups[...]) { return true } else { continue } }
            if groups == [chars.count] { return true }
            if groups.first == prefix.count, mobileGroups(groups.dropFirst()) { return true }
        }
        // Landlines: area code 010 or 02x (3 digits) or 0[3-9]xx (4 digits), then 7–8 digits.
        guard groups.count == 2, chars.first == "0", (7...8).contains(groups[1]) else { return false }
        switch groups[0] {
        case 3: return (chars[1] == "1" && chars[2] == "0") || chars[1] == "2"
        case 4: return ("3"..."9").contains(chars[1])
        default: return false
        }
    }

    /// What the digits of one candidate are, if anything: ID card first, then phone, then bank card.
    static func classify(_ digits: String, groups: [Int], checkX: Bool) -> Kind? {
        if checkX { return digits.count == 17 && isIDCard(digits + "X") ? .idCard : nil }
        if digits.count == 18, isIDCard(digits) { return .idCard }
        if digits.count == 15, isOldIDCard(digits) { return .idCard }
        if isPhone(digits, groups: groups) { return .phone }
        if isBankCard(digits) { return .bankCard }
        return nil
    }

    /// `text` with every valid ID-card and bank-card number replaced by a mark, and every phone
    /// number masked to its last four digits.
    ///
    /// Digits are read in runs of groups joined by single spaces or dashes (`6222 0212 3456 7890
    /// 128`, `138-1234-5678`); a run may touch any non-digit, Chinese characters included
    /// (`身份证号是110105194912310021谢谢`). Within a run, the longest span of whole groups that is a
    /// valid number is masked; an unbroken group of digits is never split, so a long order number
    /// that merely contains a phone number survives.
    package static func redact(_ text: String) -> String {
        // Most texts hold no run of digits long enough to be any such number: skip the character
        // walk for them (it cost a third of the queue page's time at a million tickets).
        guard hasDigitRun(of: shortestNumber, in: text.utf8) else { return text }
        let chars = Array(text)
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var index = 0
        while index < chars.count {
            guard isDigit(chars[index]) else {
                output.append(chars[index])
                index += 1
                continue
            }
            // The run: groups of digits (start, end) joined by one separator each.
            var groups: [(start: Int, end: Int)] = []
            var cursor = index
            while true {
                var end = cursor
                while end < chars.count, isDigit(chars[end]) { end += 1 }
                groups.append((cursor, end))
                if end + 1 < chars.count, chars[end] == " " || chars[end] == "-", isDigit(chars[end + 1]) {
                    cursor = end + 1
                } else {
                    break
                }
            }
            // An ID number ending in X: the X follows the last group directly.
            let last = groups[groups.count - 1].end
            let trailingX = last < chars.count && (chars[last] == "X" || chars[last] == "x")
            var first = 0
            index = last
            while first < groups.count {
                var matched: (end: Int, kind: Kind, x: Bool)? = nil
                // Candidate spans hold at most 19 digits (the longest card), so a long run costs
                // linear time, not quadratic.
                var limit = first
                var total = 0
                while limit < groups.count, total + groups[limit].end - groups[limit].start <= 19 {
                    total += groups[limit].end - groups[limit].start
                    limit += 1
                }
                var span = limit
                while span > first, matched == nil {
                    let digits = String(groups[first..<span].flatMap { chars[$0.start..<$0.end] })
                    let lengths = groups[first..<span].map { $0.end - $0.start }
                    if span == groups.count, trailingX, let kind = classify(digits, groups: lengths, checkX: true) {
                        matched = (span, kind, true)
                    } else if let kind = classify(digits, groups: lengths, checkX: false) {
                        matched = (span, kind, false)
                    }
                    span -= 1
                }
                let nextStart = { (group: Int) in
                    group < groups.count ? groups[group].start : groups[groups.count - 1].end
                }
                if let matched {
                    let digits = String(groups[first..<matched.end].flatMap { chars[$0.start..<$0.end] })
                    switch matched.kind {
                    case .idCard: output += idCardMark
                    case .bankCard: output += bankCardMark
                    case .phone: output += Masking.phone(digits)
                    }
                    if matched.x {
                        index = last + 1
                        first = groups.count
                        break
                    }
                    // Keep the separator between this span and the next group.
                    let end = groups[matched.end - 1].end
                    output += String(chars[end..<nextStart(matched.end)])
                    first = matched.end
                } else {
                    output += String(chars[groups[first].start..<nextStart(first + 1)])
                    first += 1
                }
            }
        }
        return output
    }

    private static func isDigit(_ char: Character) -> Bool { char.isASCII && char.isNumber }

    /// The fewest digits a number `redact` masks has: a landline, a 3-digit area code and 7 digits.
    static let shortestNumber = 10

    /// Whether `bytes` hold a run of at least `count` ASCII digits in groups joined by single spaces
    /// or dashes, as `redact` reads runs. Read on bytes, it may see a longer run than the character
    /// walk (a digit with a combining mark is one byte-level digit but no `Character` digit), never a
    /// shorter one, so skipping the walk when it finds none skips nothing `redact` would mask.
    static func hasDigitRun(of count: Int, in bytes: String.UTF8View) -> Bool {
        var digits = 0
        var afterSeparator = false
        var lastWasDigit = false
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                digits += 1
                if digits >= count { return true }
                afterSeparator = false
                lastWasDigit = true
            } else if (byte == 0x20 || byte == 0x2D) && lastWasDigit && !afterSeparator {
                afterSeparator = true
                lastWasDigit = false
            } else {
                digits = 0
                afterSeparator = false
                lastWasDigit = false
            }
        }
        return false
    }
}
