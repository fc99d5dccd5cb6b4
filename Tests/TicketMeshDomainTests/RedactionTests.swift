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
            // A card number can also pass the ID check digit; either mark hides it.
            #expect(output.components(separatedBy: "REDACTED]").count - 1 == 2)
        }
    }
}
