import PropertyBased
import Testing

@testable import TicketMeshDomain

@Suite struct TicketStateTests {
    static let legal: Set<String> = [
        "new>acknowledged", "new>in-progress", "new>pending-customer", "new>escalated",
        "acknowledged>in-progress", "acknowledged>pending-customer", "acknowledged>escalated", "acknowledged>resolved",
        "in-progress>pending-customer", "in-progress>escalated", "in-progress>resolved",
        "pending-customer>in-progress", "pending-customer>escalated", "pending-customer>resolved",
        "escalated>in-progress", "escalated>pending-customer", "escalated>escalated", "escalated>resolved",
        "resolved>closed", "resolved>reopened",
        "reopened>acknowledged", "reopened>in-progress", "reopened>pending-customer", "reopened>escalated", "reopened>resolved",
    ]

    @Test(arguments: TicketState.allCases, TicketState.allCases)
    func everyTransitionFollowsR4_1(from: TicketState, to: TicketState) {
        let key = "\(from.rawValue)>\(to.rawValue)"
        do {
            try from.checkTransition(to: to)
            #expect(Self.legal.contains(key), "\(key) was allowed")
        } catch {
            #expect(!Self.legal.contains(key), "\(key) was refused")
            #expect(error.code == .illegalTransition)
            #expect(error.message.contains("from '\(from.rawValue)' to '\(to.rawValue)'"))
            #expect(error.message.contains("allowed from '\(from.rawValue)'"))
        }
    }

    @Test func closedIsFinal() {
        #expect(TicketState.closed.allowedNext.isEmpty)
        #expect(throws: DomainError.self) { try TicketState.closed.checkTransition(to: .reopened) }
    }
}

@Suite struct TicketNumberTests {
    @Test func formatsWithSiteAndPaddedSerial() throws {
        #expect(TicketNumber(day: "20241001", site: try SiteCode("SH"), serial: 1).description == "CS-20241001-SH-0001")
        #expect(TicketNumber(day: "20241001", site: try SiteCode("BRANCH01"), serial: 12345).description == "CS-20241001-BRANCH01-12345")
    }

    @Test func parsesWhatItPrints() async {
        let input = zip(Gen.int(in: 1...999_999), Gen.int(in: 0...2), Gen.int(in: 2000...2099))
        await propertyCheck(count: 300, input: input) { serial, siteIndex, year in
            let site = SiteCode(trusted: ["HQ", "SH", "LAPTOP7"][siteIndex])
            let number = TicketNumber(day: "\(year)0229", site: site, serial: serial)
            #expect(TicketNumber(parsing: number.description) == number)
        }
    }

    @Test(arguments: ["CS20241001001", "CS-2024101-SH-0001", "CS-20241001-sh-0001", "CS-20241001-SH-001", "CS-20241001-SH-0000", "XX-20241001-SH-0001"])
    func refusesOtherShapes(text: String) {
        #expect(TicketNumber(parsing: text) == nil)
    }
}

@Suite struct ValidationTests {
    @Test(arguments: ["HQ", "SH", "BJ01", "ABCDEFGH"]) func acceptsSiteCodes(code: String) throws {
        #expect(try SiteCode(code).rawValue == code)
    }

    @Test(arguments: ["", "H", "hq", "ABCDEFGHI", "H-Q", "上海"]) func refusesSiteCodes(code: String) {
        let error = #expect(throws: DomainError.self) { try SiteCode(code) }
        #expect(error?.message == "invalid site '\(code)': must be 2–8 characters of A–Z and 0–9")
    }

    @Test func requestTypesFollowR2_1AndCanBeCustomised() throws {
        let tree = RequestTypeTree.standard
        #expect(try tree.validate("complaint/product") == "complaint/product")
        #expect(try tree.validate("After-Sales.Repair") == "after-sales/repair")
        #expect(throws: DomainError.self) { try tree.validate("complaint/weather") }
        let custom = tree.applying([
            .init(path: "technical-fault", label: "Technical fault 技术故障"),
            .init(path: "suggestion", label: "Suggestion", active: false),
        ])
        #expect(try custom.validate("technical-fault") == "technical-fault")
        #expect(throws: DomainError.self) { try custom.validate("suggestion/process") }
    }

    @Test func draftValidationNamesTheField() {
        var draft = TicketDraft(customerId: "C202405001", channel: "walk-in", type: "consultation", urgency: "Normal", summary: "  退货政策  ")
        let valid = try? draft.validated(types: .standard, now: 1_000)
        #expect(valid?.summary == "退货政策")
        #expect(valid?.urgency == "normal")
        draft.expectedBy = 10
        draft.receivedAt = 500
        let error = #expect(throws: DomainError.self) { try draft.validated(types: .standard, now: 1_000) }
        #expect(error?.message.hasPrefix("invalid expected-by") == true)
    }

    @Test func customersAreValidatedWithoutLeakingPhones() {
        let bad = Customer(id: "C202405001", name: "Acme", phone: "138-0013-800x")
        let error = #expect(throws: DomainError.self) { try bad.validated() }
        #expect(error?.message.contains("138") == false)
        #expect(throws: DomainError.self) { try Customer(id: "X1", name: "Acme").validated() }
        #expect(throws: DomainError.self) { try Customer(id: "C202405001", name: "Acme", level: "gold").validated() }
        #expect((try? Customer(id: "C202405001", name: "Acme", level: "VIP").validated())?.level == "vip")
    }

    @Test(arguments: [("13800138000", "*******8000"), ("+86 138 0013 8000", "*********8000"), ("123", "***")])
    func masksPhonesToTheLastFourDigits(phone: String, masked: String) {
        #expect(Masking.phone(phone) == masked)
    }
}

/// Found by schemathesis (issue 18 item 18): the e-mail rule looked for "@" by character, so an "@"
/// followed by a combining mark or an emoji modifier was no "@".
@Test(arguments: ["@\u{AA43}Zd", "놯@🏻", "li@example.com"])
func emailRuleReadsUnicodeScalars(email: String) throws {
    #expect(try Customer(id: "C0001", name: "Acme", email: email).validated().email == email)
}

@Test func emailRuleRefusesSpacesAndAddressesWithoutAt() {
    #expect(throws: DomainError.self) { try Customer(id: "C0001", name: "Acme", email: "li example.com").validated() }
    #expect(throws: DomainError.self) { try Customer(id: "C0001", name: "Acme", email: "li @x").validated() }
}

/// Found by schemathesis (issue 18 item 18): ISO8601DateFormatter ignored what followed a date.
@Test(arguments: ["2033-12-14*", "2033-12-14 junk", "2033-12-14T10:00:00Zx", "14.12.2033"])
func timestampsRefuseTrailingText(text: String) {
    #expect(throws: DomainError.self) { try Timestamps.parse(text, field: "expected-by") }
}

@Test func timestampsReadDatesAndTimes() throws {
    #expect(try Timestamps.parse("2026-11-28", field: "at") == 1_795_824_000_000)
    #expect(try Timestamps.parse("2026-11-28T09:40:00Z", field: "at") == 1_795_858_800_000)
    #expect(try Timestamps.parse("2026-11-28T17:40:00.500+08:00", field: "at") == 1_795_858_800_500)
}
