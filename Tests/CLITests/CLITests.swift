import Foundation
import Testing

/// The real binary, end to end: the demo scenario, bad input, ticket numbers (R1.3, R11).
@Suite(.serialized) struct CLITests {
    let cli = CLI()

    func threeSites() throws {
        for site in ["HQ", "SH", "BJ"] { try cli.ok(["init", "--site", site, "--name", "Site \(site)"], site: site) }
        try cli.ok(["customer", "add", "--id", "C202405001", "--name", "华东物流 East Logistics", "--phone", "13800138000"], site: "HQ")
        try cli.carry(from: "HQ", to: "SH")
        try cli.carry(from: "HQ", to: "BJ")
    }

    func create(_ site: String, summary: String) throws -> [String: Any] {
        try cli.ok(
            ["ticket", "create", "--customer", "C202405001", "--channel", "phone", "--type", "complaint/product",
             "--urgency", "urgent", "--summary", summary, "--ref", "order=SO123", "--json"], site: site
        ).object
    }

    @Test func demoScenarioConvergesAndShowsTheConflict() throws {
        try threeSites()
        let ticket = try create("HQ", summary: "包裹延误 parcel delayed")
        let id = try #require(ticket["id"] as? String)
        try cli.carry(from: "HQ", to: "SH")
        try cli.carry(from: "HQ", to: "BJ")
        // Offline on every site: a conflicting urgency edit, notes and a reply.
        try cli.ok(["ticket", "update", id, "--urgency", "important"], site: "SH", user: "bob")
        try cli.ok(["ticket", "note", id, "SH: contacted courier"], site: "SH", user: "bob")
        try cli.ok(["ticket", "update", id, "--urgency", "normal"], site: "BJ", user: "carol")
        try cli.ok(["ticket", "note", id, "BJ: customer called again"], site: "BJ", user: "carol")
        try cli.ok(["ticket", "reply", id, "HQ: re-shipment arranged"], site: "HQ")
        _ = try create("SH", summary: "退货 return request")
        // Exchange change files around a ring, twice.
        for _ in 0..<2 {
            try cli.carry(from: "HQ", to: "SH")
            try cli.carry(from: "SH", to: "BJ")
            try cli.carry(from: "BJ", to: "HQ")
        }
        let digests = try ["HQ", "SH", "BJ"].map(cli.digest)
        #expect(Set(digests).count == 1, "digests: \(digests)")
        for site in ["HQ", "SH", "BJ"] {
            let shown = try cli.ok(["ticket", "show", id, "--json"], site: site).object
            let notes = try #require(shown["notes"] as? [[String: Any]])
            #expect(notes.compactMap { $0["body"] as? String }.sorted() == ["BJ: customer called again", "HQ: re-shipment arranged", "SH: contacted courier"])
            let conflicts = try #require(shown["conflicts"] as? [[String: Any]])
            #expect(conflicts.count == 1)
            #expect(conflicts.first?["field"] as? String == "urgency")
            let fields = try #require(shown["fields"] as? [String: Any])
            #expect(fields["state"] as? String == "acknowledged")
        }
        let listed = try cli.ok(["conflicts", "list", "--json"], site: "BJ").array
        #expect(listed.count == 1)
        let audit = try cli.ok(["audit", id, "--json"], site: "SH").object
        let writes = try #require(audit["writes"] as? [[String: Any]])
        #expect(writes.contains { $0["actor"] as? String == "carol" && $0["site"] as? String == "BJ" && $0["field"] as? String == "urgency" })
    }

    @Test func badInputIsRefusedByNameAndChangesNothing() throws {
        try threeSites()
        let ticket = try create("HQ", summary: "发票 invoice missing")
        let id = try #require(ticket["id"] as? String)
        try "not a change set".write(toFile: cli.file("junk.tmcs"), atomically: true, encoding: .utf8)
        try cli.ok(["changes", "export", "--out", cli.file("full.tmcs")], site: "HQ")
        let full = try Data(contentsOf: URL(fileURLWithPath: cli.file("full.tmcs")))
        try full.prefix(full.count - 10).write(to: URL(fileURLWithPath: cli.file("cut.tmcs")))
        try #"{"hq": 1}"#.write(toFile: cli.file("bad-vector.json"), atomically: true, encoding: .utf8)

        let cases: [(arguments: [String], site: String, mentions: String)] = [
            (["ticket", "show", "CS-20200101-HQ-0009"], "HQ", "unknown ticket 'CS-20200101-HQ-0009'"),
            (["ticket", "update", id, "--urgency", "asap"], "HQ", "invalid urgency 'asap': must be one of urgent, important, normal"),
            (["ticket", "close", id], "HQ", "illegal transition of state from 'new' to 'closed'"),
            (["ticket", "create", "--customer", "C202405001", "--channel", "fax", "--type", "complaint", "--urgency", "urgent", "--summary", "x"], "HQ", "invalid channel 'fax'"),
            (["ticket", "create", "--customer", "C404", "--channel", "phone", "--type", "complaint", "--urgency", "urgent", "--summary", "x"], "HQ", "unknown customer 'C404'"),
            (["ticket", "create", "--customer", "C202405001", "--channel", "phone", "--type", "gossip", "--urgency", "urgent", "--summary", "x"], "HQ", "invalid type 'gossip'"),
            (["ticket", "rate", id, "--score", "9"], "HQ", "invalid score '9'"),
            (["ticket", "note", id, "   "], "HQ", "missing note"),
            (["changes", "import", cli.file("junk.tmcs")], "SH", "change set"),
            (["changes", "import", cli.file("cut.tmcs")], "SH", "checksum"),
            (["changes", "export", "--out", cli.file("x.tmcs"), "--for-vector", cli.file("bad-vector.json")], "HQ", "invalid site 'hq'"),
            (["init", "--site", "hq!"], "XX", "invalid site 'hq!'"),
            (["init", "--site", "HQ"], "HQ", "already holds site HQ"),
        ]
        let before = try ["HQ", "SH"].map(cli.digest)
        for item in cases {
            let result = try cli.run(item.arguments, site: item.site)
            #expect(result.status != 0, "\(item.arguments) should fail")
            #expect(result.stderr.contains(item.mentions), "\(item.arguments): stderr was \(result.stderr)")
            #expect(!result.stderr.contains("13800138000"), "no phone numbers in errors")
        }
        #expect(try ["HQ", "SH"].map(cli.digest) == before)
    }

    @Test func ticketNumbersAreUniqueAcrossSites() throws {
        try threeSites()
        for site in ["HQ", "SH", "BJ"] {
            for index in 0..<4 { _ = try create(site, summary: "ticket \(index) from \(site)") }
        }
        for _ in 0..<2 {
            try cli.carry(from: "HQ", to: "SH")
            try cli.carry(from: "SH", to: "BJ")
            try cli.carry(from: "BJ", to: "HQ")
        }
        let numbers = try cli.ok(["ticket", "list", "--json"], site: "BJ").array.compactMap { $0["number"] as? String }
        #expect(numbers.count == 12)
        #expect(Set(numbers).count == 12)
        for site in ["HQ", "SH", "BJ"] {
            #expect(numbers.filter { $0.contains("-\(site)-") }.sorted().map { String($0.suffix(4)) } == ["0001", "0002", "0003", "0004"])
        }
    }

    @Test func phoneNumbersAreMaskedInListings() throws {
        try threeSites()
        let listed = try cli.ok(["customer", "list"], site: "SH").stdout
        #expect(listed.contains("*******8000"))
        #expect(!listed.contains("13800138000"))
    }
}
