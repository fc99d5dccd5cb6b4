import Foundation
import Testing

/// `ticketmesh type` (R2.1, issue 16 item 5): the request-type tree from the real binary.
@Suite(.serialized) struct TypeCLITests {
    let cli = CLI()

    @Test func adminsEditTheTreeAndOthersAreRefused() throws {
        try cli.ok(["init", "--site", "HQ"], site: "HQ")
        try cli.ok(["user", "add", "root", "--role", "admin"], site: "HQ", user: "root")
        try cli.ok(["user", "add", "li", "--role", "agent"], site: "HQ", user: "root")
        let added = try cli.ok(["type", "set", "complaint/delivery", "--label", "配送", "--json"], site: "HQ", user: "root").object
        #expect(added["path"] as? String == "complaint/delivery" && added["active"] as? Bool == true)
        let listed = try cli.ok(["type", "list", "--json"], site: "HQ", user: "li").array
        #expect(listed.contains { $0["path"] as? String == "complaint/delivery" && $0["label"] as? String == "配送" })
        let text = try cli.ok(["type", "list"], site: "HQ", user: "li").stdout
        #expect(text.contains("  complaint/delivery  配送"))

        let refused = try cli.run(["type", "set", "complaint/other", "--label", "x"], site: "HQ", user: "li")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("may not change the request-type tree"))
        let bad = try cli.run(["type", "set", "billing/refund", "--label", "x"], site: "HQ", user: "root")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("unknown request-type category 'billing'"))

        try cli.ok(["type", "set", "complaint/delivery", "--no-active"], site: "HQ", user: "root")
        #expect(try cli.ok(["type", "list"], site: "HQ", user: "li").stdout.contains("complaint/delivery  配送  [retired]"))
        try cli.ok(["customer", "add", "--id", "C0001", "--name", "Acme"], site: "HQ", user: "li")
        let ticket = try cli.run(
            ["ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/delivery", "--urgency", "normal",
             "--summary", "x"], site: "HQ", user: "li")
        #expect(ticket.status != 0)
        #expect(ticket.stderr.contains("must be an active request type"))
    }
}
