import Foundation

/// Generated free text (Chinese and English) with personal numbers in it: valid ID-card, bank-card
/// and phone numbers, with and without separators, and look-alikes that fail every check.
///
/// Seeded (SplitMix64), so a failing case replays from the seed its message prints. The oracles
/// here (check digits, Luhn, dates) are written independently of `Redaction`.
struct PersonalText: CustomStringConvertible {
    /// The whole text.
    var text: String
    /// The valid numbers as written in the text (with their separators): none may survive masking.
    var valid: [String]
    /// Look-alikes as written (order and tracking numbers): each must survive masking unchanged.
    var lookalikes: [String]
    /// The last four digits of each valid phone number: masking keeps them.
    var phoneTails: [String]

    var description: String { text }

    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let chinese = ["客户", "来电说", "我的身份证号是", "谢谢", "银行卡号", "订单号", "请回电", "快递单", "，", "。", "包裹延误"]
    static let english = [
        "customer", "called about", "my ID is", "thanks", "card", "order", "please call", "tracking", ",", ".",
    ]

    /// One generated text from `seed`.
    static func make(seed: UInt64) -> PersonalText {
        var random = SplitMix(state: seed)
        var result = PersonalText(text: "", valid: [], lookalikes: [], phoneTails: [])
        let english = Bool.random(using: &random)
        let words = english ? Self.english : Self.chinese
        let glue = english ? " " : ""
        var parts: [String] = []
        for _ in 0..<Int.random(in: 2...5, using: &random) {
            parts.append(words.randomElement(using: &random)!)
            if Bool.random(using: &random) {
                let (number, tail) = validNumber(&random)
                result.valid.append(number)
                if let tail { result.phoneTails.append(tail) }
                parts.append(number)
            } else {
                let number = lookalike(&random)
                result.lookalikes.append(number)
                parts.append(number)
            }
        }
        parts.append(words.randomElement(using: &random)!)
        result.text = parts.joined(separator: glue)
        return result
    }

    static func digits(_ count: Int, _ random: inout SplitMix) -> [Int] {
        (0..<count).map { _ in Int.random(in: 0...9, using: &random) }
    }

    static func idCheck(_ body: [Int]) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        return Array("10X98765432")[zip(body, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
    }

    static func luhnValid(_ digits: [Int]) -> Bool {
        var sum = 0
        for (index, value) in digits.reversed().enumerated() {
            let doubled = index % 2 == 1 ? value * 2 : value
            sum += doubled > 9 ? doubled - 9 : doubled
        }
        return sum % 10 == 0
    }

    static func birth(_ random: inout SplitMix, century: Bool) -> String {
        let year = Int.random(in: 1930...1999, using: &random)
        let month = Int.random(in: 1...12, using: &random)
        let day = Int.random(in: 1...28, using: &random)
        let yearText = century ? String(year) : String(year % 100).leftPadded(2)
        return yearText + String(month).leftPadded(2) + String(day).leftPadded(2)
    }

    /// A valid number, written in one of its usual forms; the phone's last four digits for phones.
    static func validNumber(_ random: inout SplitMix) -> (String, String?) {
        let area = String(Int.random(in: 1...8, using: &random)) + digits(5, &random).map(String.init).joined()
        switch Int.random(in: 0..<6, using: &random) {
        case 0:  // 18-digit ID, sometimes grouped 6-8-4
            let body = area + birth(&random, century: true) + digits(3, &random).map(String.init).joined()
            let id = body + String(idCheck(body.compactMap(\.wholeNumberValue)))
            if Bool.random(using: &random) {
                let chars = Array(id)
                return ("\(String(chars[0..<6])) \(String(chars[6..<14])) \(String(chars[14...]))", nil)
            }
            return (id, nil)
        case 1:  // 15-digit ID
            return (area + birth(&random, century: false) + digits(3, &random).map(String.init).joined(), nil)
        case 2:  // bank card, 16 or 19 digits, grouped by four with spaces or dashes, or unformatted
            var body = [6, 2] + digits(Bool.random(using: &random) ? 13 : 16, &random)
            body.append((0...9).first { luhnValid(body + [$0]) }!)
            let text = body.map(String.init).joined()
            switch Int.random(in: 0..<3, using: &random) {
            case 0: return (text, nil)
            case let style:
                let separator = style == 1 ? " " : "-"
                let chars = Array(text)
                return (
                    stride(from: 0, to: chars.count, by: 4).map { String(chars[$0..<min($0 + 4, chars.count)]) }.joined(
                        separator: separator
                    ), nil
                )
            }
        case 3, 4:  // mobile, plain, 3-4-4, +86 or 0086
            let number =
                "1" + String(Int.random(in: 3...9, using: &random)) + digits(9, &random).map(String.init).joined()
            let chars = Array(number)
            let tail = String(chars[7...])
            let separator = Bool.random(using: &random) ? " " : "-"
            let grouped = "\(String(chars[0..<3]))\(separator)\(String(chars[3..<7]))\(separator)\(tail)"
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return (number, tail)
            case 1: return (grouped, tail)
            case 2: return ("+86 " + grouped, tail)
            default: return ("0086" + number, tail)
            }
        default:  // landline with area code apart
            if Bool.random(using: &random) {
                let number =
                    "010-" + String(Int.random(in: 2...8, using: &random))
                    + digits(7, &random).map(String.init).joined()
                return (number, String(number.suffix(4)))
            }
            let number =
                "0" + String(Int.random(in: 3...9, using: &random)) + digits(2, &random).map(String.init).joined() + "-"
                + String(Int.random(in: 2...8, using: &random)) + digits(6, &random).map(String.init).joined()
            return (number, String(number.suffix(4)))
        }
    }

    /// A look-alike that fails every check: an 18-digit number with a wrong check digit that also
    /// fails Luhn, a 16-digit number failing Luhn, an 11-digit number that is no mobile, a 12-digit
    /// tracking number, or an order number with letters.
    static func lookalike(_ random: inout SplitMix) -> String {
        while true {
            let candidate: [Int]
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                let body = [Int.random(in: 1...8, using: &random)] + digits(16, &random)
                let wrong = Array("0123456789").filter { $0 != idCheck(body) }.randomElement(using: &random)!
                candidate = body + [wrong.wholeNumberValue!]
            case 1: candidate = [Int.random(in: 1...9, using: &random)] + digits(15, &random)
            case 2: candidate = [1, Int.random(in: 0...2, using: &random)] + digits(9, &random)
            case 3: candidate = [7, 7] + digits(10, &random)
            default: return "SO" + digits(12, &random).map(String.init).joined()
            }
            // Luhn passes for about one number in ten: those are bank-card candidates, not look-alikes.
            if (13...19).contains(candidate.count), luhnValid(candidate) { continue }
            return candidate.map(String.init).joined()
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
