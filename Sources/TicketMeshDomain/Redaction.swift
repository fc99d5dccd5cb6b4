/// Detection and redaction of ID-card and bank-card numbers in free text (R10.1).
///
/// Reports and exports pass every free-text field through `redact(_:)`; a number is redacted
/// only when it is a valid one (ID-card check digit, bank-card Luhn), so order numbers and
/// tracking numbers survive.
package enum Redaction {
    /// The placeholder that replaces an 18-digit resident ID-card number.
    package static let idCardMark = "[ID-CARD REDACTED]"
    /// The placeholder that replaces a bank-card number.
    package static let bankCardMark = "[BANK-CARD REDACTED]"

    /// Whether `digits` (17 digits + digit or X) is a valid PRC resident ID number (GB 11643 check digit).
    package static func isIDCard(_ text: some StringProtocol) -> Bool {
        let chars = Array(text.uppercased())
        guard chars.count == 18, chars.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars.prefix(17), weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return chars[17] == check
    }

    /// Whether `digits` (13–19 digits) passes the Luhn check, as bank-card numbers do.
    package static func isBankCard(_ digits: some StringProtocol) -> Bool {
        let values = digits.compactMap { $0.wholeNumberValue }
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

    /// `text` with every valid ID-card and bank-card number replaced by a mark.
    ///
    /// A number is a whole run of digits (not part of a longer run); runs may contain single
    /// spaces or dashes between groups (`6222 0212 3456 7890 128`).
    package static func redact(_ text: String) -> String {
        // Most texts hold no digit at all: skip the character walk for them.
        guard text.utf8.contains(where: { (0x30...0x39).contains($0) }) else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            guard text[index].isASCII, text[index].isNumber,
                index == text.startIndex || !isDigitLike(text[text.index(before: index)])
            else {
                output.append(text[index])
                index = text.index(after: index)
                continue
            }
            // The longest run of digits (and X at the end for ID cards), allowing single separators.
            var end = index
            var digits = ""
            var lastDigitEnd = index
            var cursor = index
            while cursor < text.endIndex {
                let char = text[cursor]
                if char.isASCII, char.isNumber {
                    digits.append(char)
                    cursor = text.index(after: cursor)
                    lastDigitEnd = cursor
                } else if (char == " " || char == "-"), digits.count < 19, text.index(after: cursor) < text.endIndex,
                    text[text.index(after: cursor)].isASCII, text[text.index(after: cursor)].isNumber
                {
                    cursor = text.index(after: cursor)
                } else if (char == "X" || char == "x"), digits.count == 17 {
                    digits.append("X")
                    cursor = text.index(after: cursor)
                    lastDigitEnd = cursor
                    break
                } else {
                    break
                }
            }
            end = lastDigitEnd
            if isIDCard(digits) {
                output += idCardMark
            } else if isBankCard(digits) {
                output += bankCardMark
            } else {
                output += text[index..<end]
            }
            index = end
        }
        return output
    }

    private static func isDigitLike(_ char: Character) -> Bool { char.isASCII && (char.isNumber) }
}
