import Foundation
import Testing

/// Read rights on the command line (issue 13 items 3 and 4): once a site has users, reads need a
/// role that may, output is masked, and `--reveal` is a role's right that the audit records.
@Suite(.serialized) struct ReadRightsCLITests {
    let cli = CLI()

    func staffedSite() throws -> String {
        try cli.ok(["init", "--site", "HQ"], site: "HQ")
        try cli.ok(["customer", "add", "--id", "C0001", "--name", "华东物流", "--phone", "13800138000"], site: "HQ")
        let ticket = try cli.ok(
            [
                "ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/product",
                "--urgency", "urgent", "--summary", "我的身份证号是11010519491231002X谢谢", "--details",
                "卡号 4111 1111 1111 1111", "--json",
            ],
            site: "HQ"
        ).object
        try cli.ok(["user", "add", "root", "--role", "admin"], site: "HQ", user: "root")
        for (name, role) in [("ana", "analyst"), ("sue", "supervisor"), ("al", "agent")] {
            try cli.ok(["user", "add", name, "--role", role], site: "HQ", user: "root")
        }
        return try #require(ticket["id"] as? String)
    }

    @Test func revealNeedsARoleThatMayAndIsAudited() throws {
        _ = try staffedSite()
        let refused = try cli.run(["customer", "show", "C0001", "--reveal"], site: "HQ", user: "ana")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("role analyst") && refused.stderr.contains("reveal contact data"))
        #expect(!refused.stdout.contains("13800138000"))
        let masked = try cli.ok(["customer", "show", "C0001", "--json"], site: "HQ", user: "sue").stdout
        #expect(masked.contains("*******8000") && !masked.contains("13800138000"))
        let revealed = try cli.ok(["customer", "show", "C0001", "--reveal", "--json"], site: "HQ", user: "sue").stdout
        #expect(revealed.contains("13800138000"))
        let audit = try cli.ok(["audit", "C0001"], site: "HQ", user: "sue").stdout
        #expect(audit.contains("reveal.by = sue"), "\(audit)")
        #expect(!audit.contains("13800138000"), "the audit masks the phone")
        let analystAudit = try cli.run(["audit", "C0001"], site: "HQ", user: "ana")
        #expect(analystAudit.status != 0 && analystAudit.stderr.contains("read the audit log"))
    }

    @Test func ticketReadsAreMaskedForEveryRoleAndNeedAUser() throws {
        let id = try staffedSite()
        for user in ["ana", "sue", "al", "root"] {
            let shown = try cli.ok(["ticket", "show", id, "--json"], site: "HQ", user: user).stdout
            #expect(!shown.contains("11010519491231002X") && !shown.contains("4111 1111 1111 1111"), "\(user)")
            #expect(shown.contains("[ID-CARD REDACTED]") && shown.contains("[BANK-CARD REDACTED]"), "\(user)")
            let listed = try cli.ok(["ticket", "list"], site: "HQ", user: user).stdout
            #expect(!listed.contains("11010519491231002X"), "\(user)")
        }
        let anonymous = try cli.run(["ticket", "show", id], site: "HQ", user: "")
        #expect(anonymous.status != 0 && anonymous.stderr.contains("--as USER"))
        let revealed = try cli.ok(["ticket", "show", id, "--reveal", "--json"], site: "HQ", user: "sue").stdout
        #expect(revealed.contains("11010519491231002X"), "the stored value is intact")
        let audit = try cli.ok(["audit", id, "--json"], site: "HQ", user: "root").stdout
        #expect(audit.contains("\"sue\"") && audit.contains("reveal"))
        #expect(!audit.contains("11010519491231002X"))
    }
}
