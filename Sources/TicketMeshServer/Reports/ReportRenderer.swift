import Foundation
import TicketMeshDomain

/// Writes a `ServiceReport` as JSON, CSV, a text table or a self-contained HTML page (R7.3).
///
/// Every free-text value passes through `Redaction.redact` once more on the way out (R10.1).
package enum ReportRenderer {
  /// Output formats of `report`.
  package enum Format: String, CaseIterable, Sendable {
    case table
    case csv
    case json
    case html

    /// Parses a format name, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> Format {
      guard let format = Format(rawValue: raw.lowercased()) else {
        throw .invalidValue(
          field: "format", value: raw,
          rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return format
    }
  }

  /// The report in `format`, ending with a newline.
  package static func render(_ report: ServiceReport, as format: Format) -> String {
    switch format {
    case .json: json(report)
    case .csv: csv(report)
    case .table: table(report)
    case .html: html(report)
    }
  }

  /// Pretty JSON with sorted keys: byte-identical for equal reports.
  package static func json(_ report: ServiceReport) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(report), as: UTF8.self) + "\n"
  }

  // MARK: Rows shared by CSV, table and HTML

  /// One figure: section, key (a type, level, agent …), metric, value.
  package struct Line: Sendable, Equatable {
    package var section: String
    package var key: String
    package var metric: String
    package var value: String
  }

  static func number(_ value: Double?) -> String { value.map(format2) ?? "" }

  /// Every figure of the report as lines, in report order.
  package static func lines(_ report: ServiceReport) -> [Line] {
    var out: [Line] = []
    func add(_ section: String, _ key: String, _ metric: String, _ value: String) {
      out.append(
        Line(
          section: section, key: Redaction.redact(key), metric: metric,
          value: Redaction.redact(value)))
    }
    add("period", report.kind, "from", report.from)
    add("period", report.kind, "to", report.to)
    add("period", report.kind, "time-zone", report.timeZone)
    add("period", report.kind, "site", report.site)
    add("period", report.kind, "sla-policy", report.slaPolicy)
    add("summary", "", "tickets", String(report.tickets))
    add("summary", "", "registration-target-minutes", String(report.registration.targetMinutes))
    add("summary", "", "registered-on-time", String(report.registration.onTime))
    add("summary", "", "registered-late", String(report.registration.late))
    add("summary", "", "registered-on-time-percent", number(report.registration.onTimeRate))
    add("summary", "", "average-registration-minutes", number(report.registration.averageMinutes))
    add("summary", "", "average-first-response-minutes", number(report.firstResponse.average))
    add("summary", "", "average-handling-hours", number(report.handling.average))
    add("summary", "", "resolved", String(report.resolved))
    add("summary", "", "resolution-rate-percent", number(report.resolutionRate))
    add("summary", "", "first-contact-resolved", String(report.firstContactResolved))
    add(
      "summary", "", "first-contact-resolution-rate-percent",
      number(report.firstContactResolutionRate))
    add("summary", "", "satisfaction-average", number(report.satisfaction.average))
    add("summary", "", "rated", String(report.satisfaction.rated))
    add("summary", "", "complaints", String(report.complaints))
    add("summary", "", "complaint-rate-percent", number(report.complaintRate))
    add("summary", "", "repeat-complaints", String(report.repeatComplaints))
    add("summary", "", "repeat-complaint-rate-percent", number(report.repeatComplaintRate))
    add("summary", "", "sla-compliance-percent", number(report.slaComplianceOverall))
    for share in report.categoryDistribution {
      add("category", share.key, "count", String(share.count))
      add("category", share.key, "percent", number(share.percent))
    }
    for share in report.typeDistribution {
      add("type", share.key, "count", String(share.count))
      add("type", share.key, "percent", number(share.percent))
    }
    for share in report.satisfaction.distribution {
      add("satisfaction", share.key, "count", String(share.count))
      add("satisfaction", share.key, "percent", number(share.percent))
    }
    for level in report.slaCompliance {
      add("sla", level.level, "target-minutes", String(level.targetMinutes))
      add("sla", level.level, "met", String(level.met))
      add("sla", level.level, "breached", String(level.breached))
      add("sla", level.level, "running", String(level.running))
      add("sla", level.level, "compliance-percent", number(level.percent))
    }
    for grade in report.exceptions {
      add("exceptions", "grade-\(grade.grade)", "count", String(grade.count))
      add(
        "exceptions", "grade-\(grade.grade)", "percent-of-tickets", number(grade.percentOfTickets))
    }
    for (section, list) in [
      ("agent", report.agents), ("department", report.departments),
      ("bottleneck", report.bottlenecks.byLeadDepartment),
    ] {
      for item in list {
        add(section, item.key, "tickets", String(item.tickets))
        add(section, item.key, "resolved", String(item.resolved))
        add(section, item.key, "resolution-rate-percent", number(item.resolutionRate))
        add(
          section, item.key, "average-first-response-minutes",
          number(item.averageFirstResponseMinutes))
        add(section, item.key, "average-handling-hours", number(item.averageHandlingHours))
        add(section, item.key, "average-satisfaction", number(item.averageSatisfaction))
      }
    }
    add(
      "bottleneck", "", "cross-department-tickets",
      String(report.bottlenecks.crossDepartmentTickets))
    add(
      "bottleneck", "", "cross-department-average-handling-hours",
      number(report.bottlenecks.crossDepartmentHandling.average))
    for statement in report.bottlenecks.statements { add("bottleneck", "", "statement", statement) }
    for issue in report.hotIssues {
      add("hot-issue", "\(issue.kind):\(issue.key)", "count", String(issue.count))
      add(
        "hot-issue", "\(issue.kind):\(issue.key)", "percent-of-complaints",
        number(issue.percentOfComplaints))
      add("hot-issue", "\(issue.kind):\(issue.key)", "statement", issue.statement)
      if let example = issue.example {
        add("hot-issue", "\(issue.kind):\(issue.key)", "example", example)
      }
    }
    for dimension in report.feedbackDimensions ?? [] {
      add("dimension", dimension.dimension, "rated", String(dimension.rated))
      add("dimension", dimension.dimension, "average", number(dimension.average))
      for share in dimension.distribution {
        add("dimension", dimension.dimension, "score-\(share.key)", String(share.count))
      }
    }
    for comment in report.comments ?? [] {
      add("comment", comment.number, "score \(comment.score) at \(comment.at)", comment.comment)
    }
    for target in report.targets ?? [] {
      add("target", target.metric, "target", target.target)
      add("target", target.metric, "goal", number(target.goal))
      add("target", target.metric, "actual", number(target.actual))
      add("target", target.metric, "previous", number(target.previous))
      add("target", target.metric, "met", target.met.map { $0 ? "yes" : "no" } ?? "")
    }
    return out
  }

  // MARK: CSV

  /// RFC 4180 CSV with a header `section,key,metric,value`; text cells that a spreadsheet would run as a formula get a `'`.
  package static func csv(_ report: ServiceReport) -> String {
    var out = "section,key,metric,value\r\n"
    for line in lines(report) {
      out +=
        [line.section, line.key, line.metric, line.value].map(csvCell).joined(separator: ",")
        + "\r\n"
    }
    return out
  }

  static func csvCell(_ text: String) -> String {
    var cell = text
    if let first = cell.first, "=+@\t\r".contains(first) || (first == "-" && Double(cell) == nil) {
      cell = "'" + cell
    }
    guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
      return cell
    }
    return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  // MARK: Table

  /// Human-readable text: the headline figures, then every other line.
  package static func table(_ report: ServiceReport) -> String {
    var out =
      "\(report.kind.capitalized) service report \(report.from) – \(report.to) (\(report.timeZone)), site \(report.site)\n"
    var section = ""
    for line in lines(report) where line.section != "period" {
      if line.section != section {
        section = line.section
        out += "\n[\(section)]\n"
      }
      let key = line.key.isEmpty ? "" : line.key + "  "
      out += "  \(key)\(line.metric): \(line.value.isEmpty ? "–" : line.value)\n"
    }
    return out
  }

  // MARK: HTML

  /// The charts of a report: type distribution, satisfaction distribution, SLA compliance per level.
  /// `label` gives the word a page shows for a bar's key (an urgency level, a type path).
  package static func charts(_ report: ServiceReport, label: (String) -> String = { $0 }) -> [String] {
    [
      SVGChart.bars(
        title: "Type distribution 类型分布",
        bars: report.typeDistribution.map { .init(label: label($0.key), value: Double($0.count)) }),
      SVGChart.bars(
        title: "Satisfaction 满意度 (1–5)",
        bars: report.satisfaction.distribution.map { .init(label: $0.key, value: Double($0.count)) }
      ),
      SVGChart.bars(
        title: "First-response SLA compliance 首次响应达标率",
        bars: report.slaCompliance.map { .init(label: label($0.level), value: $0.percent ?? 0) },
        unit: "%", maximum: 100),
    ]
  }

  /// A self-contained HTML page (inline CSS and SVG, no scripts, no external requests).
  package static func html(_ report: ServiceReport) -> String {
    let e = SVGChart.escape
    var out = """
      <!DOCTYPE html>
      <html lang="zh-CN">
      <head>
      <meta charset="utf-8">
      <title>\(e("TicketMesh \(report.kind) report \(report.from) – \(report.to)"))</title>
      <style>
      body{font-family:system-ui,sans-serif;margin:2em;color:#222}
      h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
      table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
      th{background:#f3f3f3}.num{text-align:right}.charts svg{display:block;margin:1em 0}
      </style>
      </head>
      <body>
      <h1>\(e("\(report.kind.capitalized) service report 服务报告"))</h1>
      <p>\(e("\(report.from) – \(report.to) (\(report.timeZone)) · site \(report.site) · SLA policy \(report.slaPolicy)"))</p>
      <div class="charts">

      """
    for chart in charts(report) { out += chart + "\n" }
    out += "</div>\n"
    var section = ""
    for line in lines(report) where line.section != "period" {
      if line.section != section {
        if !section.isEmpty { out += "</table>\n" }
        section = line.section
        out +=
          "<h2>\(e(section))</h2>\n<table>\n<tr><th>key</th><th>metric</th><th>value</th></tr>\n"
      }
      let numeric = Double(line.value) != nil
      out +=
        "<tr><td>\(e(line.key))</td><td>\(e(line.metric))</td><td\(numeric ? " class=\"num\"" : "")>\(e(line.value))</td></tr>\n"
    }
    if !section.isEmpty { out += "</table>\n" }
    out += "</body>\n</html>\n"
    return out
  }
}

extension ReportRenderer {
  /// A figure as text with at most two decimals and no trailing zeros (`4.25`, `42.9`, `24`).
  package static func format2(_ value: Double) -> String {
    let hundredths = Int64((abs(value) * 100).rounded(.toNearestOrAwayFromZero))
    let sign = value < 0 && hundredths != 0 ? "-" : ""
    let whole = hundredths / 100
    let fraction = hundredths % 100
    if fraction == 0 { return sign + String(whole) }
    if fraction % 10 == 0 { return sign + "\(whole).\(fraction / 10)" }
    return sign + "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}
