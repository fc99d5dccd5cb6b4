/// A computed service report (R7): every figure of its kind, deterministic for the same data and request.
///
/// Percentages are 0–100 with one decimal, averages have one (times) or two (scores) decimals,
/// every list has a fixed order, and free text is redacted (R10.1), so converged sites encode
/// byte-identical JSON. Definitions: Docs/reports.md.
package struct ServiceReport: Sendable, Equatable, Codable {
  /// A count and its share of a whole.
  package struct Share: Sendable, Equatable, Codable {
    package var key: String
    package var label: String?
    package var count: Int
    package var percent: Double
  }

  /// An average over `count` values; nil average when there are none.
  package struct Average: Sendable, Equatable, Codable {
    package var count: Int
    package var average: Double?
    package var unit: String
  }

  /// Satisfaction: average score and the 1–5 distribution.
  package struct SatisfactionFigures: Sendable, Equatable, Codable {
    package var rated: Int
    package var average: Double?
    package var distribution: [Share]
  }

  /// First-response SLA compliance of one urgency level.
  package struct Compliance: Sendable, Equatable, Codable {
    package var level: String
    package var targetMinutes: Int
    package var met: Int
    package var breached: Int
    /// Clocks still running at the period's end: not counted.
    package var running: Int
    package var percent: Double?
  }

  /// Service exceptions of one grade.
  package struct GradeCount: Sendable, Equatable, Codable {
    package var grade: Int
    package var count: Int
    /// Exceptions per 100 tickets of the period.
    package var percentOfTickets: Double
  }

  /// Figures of one agent or department.
  package struct Breakdown: Sendable, Equatable, Codable {
    package var key: String
    package var tickets: Int
    package var resolved: Int
    package var resolutionRate: Double
    package var averageFirstResponseMinutes: Double?
    package var averageHandlingHours: Double?
    package var averageSatisfaction: Double?
  }

  /// A hot issue: a subtype or keyword that a large share of complaints share.
  package struct HotIssue: Sendable, Equatable, Codable {
    /// `type` or `keyword`.
    package var kind: String
    package var key: String
    package var count: Int
    package var percentOfComplaints: Double
    /// "42.9 % of complaints are complaint/product (Product quality 产品质量)".
    package var statement: String
    /// A redacted summary of the first complaint (by number) it covers, for keywords.
    package var example: String?
  }

  /// Cross-department handling (R2.3, R7.1 bottlenecks).
  package struct Bottlenecks: Sendable, Equatable, Codable {
    package var thresholdHours: Double
    package var crossDepartmentTickets: Int
    package var crossDepartmentHandling: Average
    /// Lead departments of cross-department tickets, slowest first.
    package var byLeadDepartment: [Breakdown]
    package var statements: [String]
  }

  /// One feedback dimension of the monthly analysis.
  package struct Dimension: Sendable, Equatable, Codable {
    package var dimension: String
    package var rated: Int
    package var average: Double?
    package var distribution: [Share]
  }

  /// A rating's comment, redacted.
  package struct Comment: Sendable, Equatable, Codable {
    package var number: String
    package var score: Int
    package var at: String
    package var comment: String
  }

  /// A quarterly target against the actual figure.
  package struct TargetResult: Sendable, Equatable, Codable {
    package var metric: String
    /// As set: `4.5` or `+15%`.
    package var target: String
    /// The figure to reach, after applying a relative target to the previous period.
    package var goal: Double?
    package var actual: Double?
    package var previous: Double?
    package var met: Bool?
  }

  /// Registration within the policy's time of receipt (R1.2).
  package struct RegistrationFigures: Sendable, Equatable, Codable {
    package var targetMinutes: Int
    /// Tickets registered within the target.
    package var onTime: Int
    /// Tickets registered later.
    package var late: Int
    /// `onTime` as a share of the tickets whose registration time is known; 0 when none.
    package var onTimeRate: Double
    package var averageMinutes: Double?
  }

  package var kind: String
  package var from: String
  package var to: String
  package var timeZone: String
  /// The site filter, or `all`.
  package var site: String
  package var slaPolicy: String
  package var tickets: Int
  package var registration: RegistrationFigures
  package var typeDistribution: [Share]
  package var categoryDistribution: [Share]
  package var firstResponse: Average
  package var handling: Average
  package var resolved: Int
  package var resolutionRate: Double
  package var firstContactResolved: Int
  package var firstContactResolutionRate: Double
  package var satisfaction: SatisfactionFigures
  package var complaints: Int
  package var complaintRate: Double
  package var repeatComplaints: Int
  package var repeatComplaintRate: Double
  package var slaCompliance: [Compliance]
  package var slaComplianceOverall: Double?
  package var exceptions: [GradeCount]
  package var agents: [Breakdown]
  package var departments: [Breakdown]
  package var hotIssues: [HotIssue]
  package var bottlenecks: Bottlenecks
  package var feedbackDimensions: [Dimension]?
  package var comments: [Comment]?
  package var targets: [TargetResult]?
}

/// Rounding and ratios used by every figure, so all sites round the same way.
package enum ReportMath {
  /// `value` rounded half away from zero to `places` decimals.
  package static func round(_ value: Double, _ places: Int) -> Double {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
  }

  /// `part / whole` as a percentage with one decimal; 0 when `whole` is 0.
  package static func percent(_ part: Int, of whole: Int) -> Double {
    whole == 0 ? 0 : round(Double(part) * 100 / Double(whole), 1)
  }

  /// `sum / count` divided by `unit`, with `places` decimals; nil when `count` is 0.
  package static func average(_ sum: Int64, count: Int, unit: Double = 1, places: Int) -> Double? {
    count == 0 ? nil : round(Double(sum) / Double(count) / unit, places)
  }
}
