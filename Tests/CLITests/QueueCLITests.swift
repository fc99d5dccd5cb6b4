import Foundation
import Testing

/// `ticket list` with the queue's filters, search and sort (issue 16 item 1), through the real binary.
@Suite(.serialized) struct QueueCLITests {
    let cli = CLI()

    func numbers(_ result: CLI.Result) -> [String] { result.array.compactMap { $0["number"] as? String } }

    @Test func ticketListFiltersSearchesAndSorts() throws {
        try cli.ok(["init", "--site", "HQ"], site: "HQ")
        try cli.ok(["customer", "add", "--id", "C0001", "--name", "Acme Trading"], site: "HQ")
        func create(_ summary: String, urgency: String, channel: String, type: String = "complaint/service") throws -> [String: Any] {
            try cli.ok(
                ["ticket", "create", "--customer", "C0001", "--channel", channel, "--type", type, "--urgency", urgency,
                 "--summary", summary, "--json"], site: "HQ"
            ).object
        }
        let cold = try create("冷库温度异常", urgency: "urgent", channel: "phone")
        let invoice = try create("Invoice title wrong", urgency: "normal", channel: "email", type: "consultation/product")
        let refund = try create("退款进度", urgency: "important", channel: "chat")
        let coldID = try #require(cold["id"] as? String)
        try cli.ok(["ticket", "note", coldID, "已联系物流公司，电话 13912345678"], site: "HQ")
        let (c, i, r) = (cold["number"] as! String, invoice["number"] as! String, refund["number"] as! String)

        #expect(numbers(try cli.ok(["ticket", "list", "--search", "物流", "--json"], site: "HQ")) == [c], "2 characters, in a note")
        #expect(numbers(try cli.ok(["ticket", "list", "--search", "invoice TITLE", "--json"], site: "HQ")) == [i])
        #expect(try cli.ok(["ticket", "list", "--search", "13912345678", "--json"], site: "HQ").array.isEmpty, "masked data")
        #expect(numbers(try cli.ok(["ticket", "list", "--channel", "chat", "--json"], site: "HQ")) == [r])
        #expect(numbers(try cli.ok(["ticket", "list", "--type", "consultation", "--json"], site: "HQ")) == [i])
        #expect(numbers(try cli.ok(["ticket", "list", "--sort", "urgency", "--json"], site: "HQ")) == [c, r, i])
        #expect(numbers(try cli.ok(["ticket", "list", "--sort=-urgency", "--json"], site: "HQ")) == [i, r, c])
        let text = try cli.ok(["ticket", "list", "--sort", "urgency", "--search", "退款"], site: "HQ").stdout
        #expect(text.contains(r) && !text.contains(c) && text.contains("due "))
        for (arguments, named) in [
            (["--channel", "fax"], "invalid channel 'fax'"), (["--sort", "colour"], "invalid sort 'colour'"),
            (["--search", " "], "missing search"),
        ] {
            let refused = try cli.run(["ticket", "list"] + arguments, site: "HQ")
            #expect(refused.status != 0 && refused.stderr.contains(named), "\(arguments): \(refused.stderr)")
        }
    }
}
