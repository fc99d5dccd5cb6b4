import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshServer

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Report presentation (text table, CSV, JSON, HTML, SVG charts) lives with the interfaces that
/// show it, not in the domain (issue 18 item 16): these name it as `TicketMeshServer`'s.
@Suite struct ReportRenderingTests {
  static let utc = TimeZone(identifier: "UTC")!
  static let period = ReportPeriod(from: 0, to: 7 * 86_400_000, timeZone: utc)

  static func builder(_ kind: ReportKind = .weekly) -> ReportBuilder {
    ReportBuilder(.init(kind: kind, period: period, site: nil, policy: .standard))
  }

  @Test func formatsParseAndFiguresTrimZeros() {
    #expect(TicketMeshServer.ReportRenderer.Format.allCases.map(\.rawValue) == ["table", "csv", "json", "html"])
    let error = #expect(throws: DomainError.self) { try TicketMeshServer.ReportRenderer.Format.parse("pdf") }
    #expect(error?.message == "invalid format 'pdf': must be one of table, csv, json, html")
    #expect(
      ReportRenderer.format2(3.333) == "3.33" && ReportRenderer.format2(4.5) == "4.5"
        && ReportRenderer.format2(7.04) == "7.04" && ReportRenderer.format2(-0.001) == "0")
  }

  /// Feeds XML to Foundation's parser; true when it is well-formed.
  static func wellFormed(_ xml: String) -> Bool {
    let parser = XMLParser(data: Data(xml.utf8))
    return parser.parse()
  }

  @Test func chartsAreWellFormedSVG() {
    let bars = [
      TicketMeshServer.SVGChart.Bar(label: "complaint/<service> & \"more\" 'x'", value: 3),
      SVGChart.Bar(label: "物流延误 \u{1}", value: 0.5),
      SVGChart.Bar(label: "card 6222021234567894", value: 0),
    ]
    let svg = SVGChart.bars(title: "Type <distribution> & 类型", bars: bars, unit: "%")
    #expect(Self.wellFormed(svg))
    #expect(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.components(separatedBy: "<rect ").count - 1 == 3)
    #expect(!svg.contains("6222021234567894"))
    #expect(Self.wellFormed(SVGChart.bars(title: "empty", bars: [])))
    var builder = Self.builder()
    builder.add(
      ReportRow(
        number: "1", type: "complaint/service", urgency: "urgent", state: "new", summary: "x",
        receivedAt: 0, score: 2))
    let html = ReportRenderer.html(builder.finish())
    let charts = html.components(separatedBy: "<svg ").dropFirst().map {
      "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>"
    }
    #expect(charts.count == 3)
    #expect(charts.allSatisfy(Self.wellFormed))
    #expect(
      html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script") && !html.contains("src=")
        && !html.contains("href="))
  }

  @Test func csvQuotesAndDefusesFormulas() {
    #expect(ReportRenderer.csvCell("a,b") == "\"a,b\"")
    #expect(ReportRenderer.csvCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(ReportRenderer.csvCell("=SUM(A1)") == "'=SUM(A1)")
    #expect(ReportRenderer.csvCell("-12.5") == "-12.5")
    #expect(ReportRenderer.csvCell("+15%") == "'+15%")
  }

  /// A valid 18-digit ID-card number from 17 digits (ISO 7064 MOD 11-2 check character).
  static func idCard(_ digits: [Int]) -> String {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
    return digits.map(String.init).joined() + String(Array("10X98765432")[sum % 11])
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

  /// R10.1: whatever free text the tickets, agents, departments and ratings carry, no valid ID-card or
  /// bank-card number reaches any report format. 60 cases from a fixed-seed generator.
  @Test func noValidCardOrIDNumberSurvivesIntoAnyFormat() {
    var state: UInt64 = 0x5EED_0018
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let letters = Array("abcXYZ物流09")
    for _ in 0..<60 {
      let idNumber = Self.idCard((0..<17).map { _ in next(10) })
      let cardNumber = Self.bankCard((0..<(12 + next(7))).map { _ in next(10) })
      let text = String((0..<next(9)).map { _ in letters[next(letters.count)] })
      let place = next(4)
      let secret = place % 2 == 0 ? "\(text) 身份证 \(idNumber)" : "\(text)卡号\(cardNumber) "
      var builder = Self.builder(.quarterly)
      for index in 0..<3 {
        builder.add(
          ReportRow(
            number: "CS-20261102-HQ-000\(index)", type: "complaint/service", urgency: "urgent",
            state: "resolved",
            assignee: place == 1 ? secret : "alice", department: place == 2 ? secret : "CS",
            leadDepartment: place == 3 ? secret : nil, collaborators: "QA",
            summary: "物流延误 delay \(secret)",
            receivedAt: 0, resolvedAt: 90_000_000, firstReplyAt: 60_000, replies: 1, score: 4,
            firstResponseMet: true))
        builder.add(
          RatingRow(
            number: "N\(index)", score: 2, dimensions: ["attitude": 3],
            comment: "comment \(secret)", at: 1_000))
      }
      let report = builder.finish(targets: ["satisfaction": "4"])
      for format in ReportRenderer.Format.allCases {
        let output = ReportRenderer.render(report, as: format)
        #expect(
          Redaction.redact(output) == output, "\(format) output still holds a number to redact")
        #expect(
          !output.contains(idNumber) && !output.contains(cardNumber), "\(format) leaks the number")
      }
    }
  }
}
