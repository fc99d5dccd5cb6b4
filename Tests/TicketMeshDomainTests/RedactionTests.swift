import Foundation
import PropertyBased
import Testing

@testable import TicketMeshDomain

/// R10.1: valid ID-card and bank-card numbers never survive redaction; other numbers do.
@Suite struct RedactionTests {
    /// A valid 18-digit ID number built from 17 random digits and its check digit.
    static func idCard(_ digits: [Int]) -> String {
        let body = digits.map(String.init).joined()
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// A Luhn-valid card number of `digits.count + 1` digits.
    static func bankCard(_ digits: [Int]) -> String {
        var sum = 0
        for (index, value) in digits.reversed().enumerated() {
            let doubled = index % 2 == 0 ? value * 2 : value
            sum += doubled > 9 ? doubled - 9 : doubled
        }
        return digits.map(String.init).joined() + String((10 - sum % 10) % 10)
    }

    @Test func knownNumbers() {
        #expect(Redaction.isIDCard("11010519491231002X"))
        #expect(!Redaction.isIDCard("110105194912310021"))
        #expect(Redaction.isBankCard("4111111111111111"))
        #expect(!Redaction.isBankCard("4111111111111112"))
        #expect(Redaction.redact("卡号 4111 1111 1111 1111，身份证11010519491231002X。") == "卡号 \(Redaction.bankCardMark)，身份证\(Redaction.idCardMark)。")
        #expect(Redaction.redact("order SO20241001001 tracking 773012345678") == "order SO20241001001 tracking 773012345678")
    }

    @Test func noValidNumberSurvivesInFreeText() async {
        let digits = Gen.int(in: 0...9).array(of: 17)
        let cardDigits = Gen.int(in: 0...9).array(of: 12...18)
        let filler = Gen.letterOrNumber.string(of: 0...12)
        await propertyCheck(count: 300, input: digits, cardDigits, filler, Gen.bool) { id, card, text, spaced in
            let idNumber = Self.idCard(id)
            var cardNumber = Self.bankCard(card)
            if spaced { cardNumber = String(cardNumber.enumerated().flatMap { $0.offset > 0 && $0.offset % 4 == 0 ? [" ", $0.element] : [$0.element] }) }
            let input = "客户\(text) 身份证:\(idNumber)，银行卡 \(cardNumber) 备注\(text)"
            let output = Redaction.redact(input)
            #expect(!output.contains(idNumber))
            #expect(!output.contains(cardNumber))
            #expect(!output.filter { !$0.isWhitespace }.contains(cardNumber.filter { !$0.isWhitespace }))
            // A card number can also pass the ID check digit, or (unformatted, 13 digits) look like
            // +86 and a mobile; any mark hides it.
            let masks = output.components(separatedBy: "REDACTED]").count - 1 + (output.contains("****") ? 1 : 0)
            #expect(masks == 2)
        }
    }
}

/// The redaction rules of issue 13 item 4, case by case: 15-digit IDs, phones in free text,
/// numbers touching Chinese characters, and look-alikes that must survive.
@Suite struct RedactionRulesTests {
    @Test(arguments: [
        // 18-digit IDs touching Chinese characters, grouped or not.
        ("我的身份证号是110105194912310021谢谢", "我的身份证号是110105194912310021谢谢"),  // wrong check digit: kept
        ("我的身份证号是11010519491231002X谢谢", "我的身份证号是\(Redaction.idCardMark)谢谢"),
        ("ID 110105 19491231 002X.", "ID \(Redaction.idCardMark)."),
        // 15-digit first-generation IDs: area, a real 19YYMMDD date, sequence.
        ("身份证110105491231002号", "身份证\(Redaction.idCardMark)号"),
        ("身份证110105490231003号", "身份证110105490231003号"),  // 31 February (and no Luhn): kept
        ("old 010105491231003 id", "old 010105491231003 id"),  // area 0 (and no Luhn): kept
        // Bank cards, Luhn, spaces, dashes or none.
        ("卡号6222021234567890128。", "卡号\(Redaction.bankCardMark)。"),
        ("card 4111-1111-1111-1111 ok", "card \(Redaction.bankCardMark) ok"),
        ("card 4111111111111112 ok", "card 4111111111111112 ok"),
        // Mobiles: plain, 3-4-4, +86 and 0086; the last four digits stay.
        ("电话13812345678谢谢", "电话*******5678谢谢"),
        ("call 138 1234 5678 now", "call *******5678 now"),
        ("call 138-1234-5678 now", "call *******5678 now"),
        ("call +86 138 1234 5678", "call +*********5678"),
        ("call +8613812345678", "call +*********5678"),
        ("call 0086 13812345678", "call ***********5678"),
        ("call 1381 2345 678 now", "call 1381 2345 678 now"),  // not 3-4-4: kept
        ("number 12812345678 kept", "number 12812345678 kept"),  // 12x is no mobile
        // Landlines with the area code apart.
        ("座机010-12345678转", "座机*******5678转"),
        ("tel 0755 1234567", "tel *******4567"),
        ("tel 01012345678", "tel 01012345678"),  // unformatted: an order number as often as a landline
        // Order and tracking numbers.
        ("order SO20241001001 tracking 773012345678", "order SO20241001001 tracking 773012345678"),
        ("订单2026112813812345678已发货", "订单2026112813812345678已发货"),  // a phone inside a longer run: kept
        ("qty 12 phone 13812345678", "qty 12 phone *******5678"),
        ("订单 12345 13812345678", "订单 12345 *******5678"),
    ])
    func redacts(input: String, expected: String) {
        #expect(Redaction.redact(input) == expected)
    }

    /// A long run of separated digits (a pasted table, a hostile body) costs linear time.
    @Test(.timeLimit(.minutes(1))) func longRunsOfGroupsStayCheap() {
        let run = Array(repeating: "12", count: 20_000).joined(separator: " ")
        #expect(Redaction.redact("表 " + run + " 完") == "表 " + run + " 完")
        let cards = Array(repeating: "4111 1111 1111 1111", count: 2_000).joined(separator: " ")
        #expect(Redaction.redact(cards).components(separatedBy: Redaction.bankCardMark).count - 1 == 2_000)
    }

    /// The byte-level pre-check `redact` skips the character walk with: runs as `redact` reads them
    /// (single spaces or dashes between groups), and the shortest masked number (a landline) still found.
    @Test func thePreCheckFindsEveryRunLongEnoughToMask() {
        let cases: [(String, Bool)] = [
            ("订单 123456789 已发货", false), ("010-1234567", true), ("138 1234 5678", true), ("12 34 56 78 90", true),
            ("1234  567890", false), ("12345-6789", false), ("12345--67890", false), ("快递单号 SF1234567890", true), ("", false),
        ]
        for (text, expected) in cases {
            #expect(Redaction.hasDigitRun(of: Redaction.shortestNumber, in: text.utf8) == expected, "\(text)")
        }
        #expect(Redaction.redact("请拨 010-1234567") != "请拨 010-1234567")  // ten digits, masked
        #expect(Redaction.redact("订单 123456789") == "订单 123456789")
    }

    @Test func oldIDCardsNeedARealDate() {
        #expect(Redaction.isOldIDCard("110105491231002"))
        #expect(Redaction.isOldIDCard("110105040229002"))  // 29 February 1904
        #expect(!Redaction.isOldIDCard("110105000229002"))  // 1900 was no leap year
        #expect(!Redaction.isOldIDCard("110105001329002"))  // month 13
        #expect(!Redaction.isOldIDCard("11010549123100"))  // 14 digits
        #expect(!Redaction.isOldIDCard("910105491231002"))  // area 9
    }

    @Test func disclosureMasksCopiesAndWithholdsPasswordHashes() {
        let customer = Customer(
            id: "C0001", name: "王", contactPerson: "王经理 13812345678", phone: "+86 138 0013 1234",
            email: "13912345678@qq.com")
        let masked = Disclosure.masked.customer(customer)
        #expect(masked.phone == "*********1234")
        #expect(masked.email == "*******5678@qq.com")
        #expect(masked.contactPerson == "王经理 *******5678")
        #expect(Disclosure.revealed.customer(customer) == customer)
        for disclosure in [Disclosure.masked, .revealed] {
            #expect(disclosure.field(entity: "user", field: "passwordHash", value: "$2b$04$abc") == Disclosure.withheldMark)
        }
        #expect(Disclosure.masked.field(entity: "customer", field: "phone", value: "13800131234") == "*******1234")
        #expect(Disclosure.masked.field(entity: "ticket", field: "summary", value: "卡4111111111111111") == "卡\(Redaction.bankCardMark)")
        #expect(Disclosure.masked.field(entity: "ticket", field: "summary", value: nil) == nil)
    }
}
