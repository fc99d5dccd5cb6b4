import Foundation
import Testing

/// `ticketmesh seed` and `ticketmesh report` end to end (R7, R10.1).
@Suite(.serialized) struct ReportCLITests {
  let cli = CLI()

  @Test func seededSitesGiveIdenticalReportsInEveryFormat() throws {
    for site in ["HQ", "SH"] {
      try cli.ok(["init", "--site", site], site: site)
      try cli.ok(
        [
          "seed", "--tickets", "300", "--customers", "30", "--sites", "HQ,SH,BJ", "--seed", "7",
          "--weeks", "3", "--json",
        ], site: site)
    }
    // The same seed gives the same records: the two replicas hold the same tickets.
    let hq = try cli.ok(["report", "weekly", "--format", "json", "--tz", "UTC"], site: "HQ").stdout
    let sh = try cli.ok(["report", "weekly", "--format", "json", "--tz", "UTC"], site: "SH").stdout
    #expect(hq == sh)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(hq.utf8)) as? [String: Any])
    #expect((object["tickets"] as? Int ?? 0) > 0)
    #expect(object["kind"] as? String == "weekly")
    let csv = try cli.ok(
      ["report", "monthly", "--format", "csv", "--from", "2020-01-01", "--to", "2040-12-31"],
      site: "HQ"
    ).stdout
    #expect(csv.hasPrefix("section,key,metric,value\r\n"))
    #expect(csv.contains("dimension,attitude,rated,"))
    let html = cli.file("report.html")
    try cli.ok(
      [
        "report", "quarterly", "--format", "html", "--out", html, "--from", "2020-01-01", "--to",
        "2040-12-31",
      ], site: "HQ")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    #expect(page.components(separatedBy: "<svg ").count - 1 == 3)
    // Seeded texts carry card and ID numbers on purpose; none reaches any output.
    for output in [hq, csv, page] { #expect(!Self.leaksCardOrID(output)) }
    #expect(csv.contains("REDACTED"))
    let bad = try cli.run(["report", "weekly", "--format", "pdf"], site: "HQ")
    #expect(bad.status == 2 && bad.stderr.contains("invalid format 'pdf'"))
  }

  @Test func ratingDimensionsReachTheMonthlyReport() throws {
    try cli.ok(["init", "--site", "HQ"], site: "HQ")
    try cli.ok(
      ["customer", "add", "--id", "C202405001", "--name", "华东物流 East Logistics"], site: "HQ")
    let ticket = try cli.ok(
      [
        "ticket", "create", "--customer", "C202405001", "--channel", "phone", "--type",
        "complaint/product", "--urgency", "urgent",
        "--summary", "物流延误 卡号 6222021234567894", "--json",
      ], site: "HQ"
    ).object
    let id = try #require(ticket["id"] as? String)
    try cli.ok(["ticket", "reply", id, "on it"], site: "HQ")
    try cli.ok(["ticket", "resolve", id, "--result", "re-shipped"], site: "HQ")
    let refused = try cli.run(
      ["ticket", "rate", id, "--score", "4", "--dimension", "attitude=9"], site: "HQ")
    #expect(refused.status == 2 && refused.stderr.contains("dimension attitude"))
    try cli.ok(
      [
        "ticket", "rate", id, "--score", "4", "--dimension", "attitude=5", "--dimension",
        "product-fit=3",
      ], site: "HQ")
    try cli.ok(["report", "target", "set", "satisfaction", "4.5"], site: "HQ")
    let today = ISO8601DateFormatter().string(from: Date()).prefix(10)
    let report = try cli.ok(
      ["report", "quarterly", "--json", "--from", String(today), "--to", String(today)], site: "HQ"
    ).object
    let dimensions = try #require(report["feedbackDimensions"] as? [[String: Any]])
    #expect(
      dimensions.first { $0["dimension"] as? String == "attitude" }?["average"] as? Double == 5)
    #expect(
      dimensions.first { $0["dimension"] as? String == "product-fit" }?["average"] as? Double == 3)
    let targets = try #require(report["targets"] as? [[String: Any]])
    #expect(
      targets.first?["metric"] as? String == "satisfaction"
        && targets.first?["met"] as? Bool == false)
    let text = try cli.ok(
      ["report", "weekly", "--from", String(today), "--to", String(today)], site: "HQ"
    ).stdout
    #expect(text.contains("tickets: 1") && !text.contains("6222021234567894"))
  }

  /// Whether `text` holds a run of digits that is a Luhn-valid card number (13–19) or an ID number with its check digit.
  static func leaksCardOrID(_ text: String) -> Bool {
    let chars = Array(text)
    var index = 0
    while index < chars.count {
      guard chars[index].isASCII, chars[index].isNumber else {
        index += 1
        continue
      }
      var run: [Character] = []
      while index < chars.count, chars[index].isASCII,
        chars[index].isNumber || (run.count == 17 && chars[index] == "X")
      {
        run.append(chars[index])
        index += 1
      }
      if run.count == 18 {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(run.prefix(17), weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
        if Array("10X98765432")[sum % 11] == run[17] { return true }
      }
      if (13...19).contains(run.count), run.allSatisfy(\.isNumber) {
        var sum = 0
        for (offset, char) in run.reversed().enumerated() {
          let value = char.wholeNumberValue! * (offset % 2 == 1 ? 2 : 1)
          sum += value > 9 ? value - 9 : value
        }
        if sum % 10 == 0 { return true }
      }
    }
    return false
  }
}
