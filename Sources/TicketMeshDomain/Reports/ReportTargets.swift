import Foundation

/// Quarterly targets against actuals (R7.2): which figures may have a target and how one is met.
package enum ReportTargets {
  /// A figure a target can be set for.
  package struct Metric: Sendable {
    package var name: String
    /// True when a larger value is better.
    package var higherIsBetter: Bool
    package var value: @Sendable (ServiceReport) -> Double?
  }

  /// Every metric, by name.
  package static let metrics: [String: Metric] = Dictionary(
    uniqueKeysWithValues: [
      Metric(name: "satisfaction", higherIsBetter: true) { $0.satisfaction.average },
      Metric(name: "resolution-rate", higherIsBetter: true) {
        $0.tickets == 0 ? nil : $0.resolutionRate
      },
      Metric(name: "first-contact-resolution-rate", higherIsBetter: true) {
        $0.resolved == 0 ? nil : $0.firstContactResolutionRate
      },
      Metric(name: "first-response-minutes", higherIsBetter: false) { $0.firstResponse.average },
      Metric(name: "handling-hours", higherIsBetter: false) { $0.handling.average },
      Metric(name: "complaint-rate", higherIsBetter: false) {
        $0.tickets == 0 ? nil : $0.complaintRate
      },
      Metric(name: "repeat-complaint-rate", higherIsBetter: false) {
        $0.complaints == 0 ? nil : $0.repeatComplaintRate
      },
      Metric(name: "sla-compliance", higherIsBetter: true) { $0.slaComplianceOverall },
    ].map { ($0.name, $0) })

  /// Checks a metric name and a target: an absolute number (`4.5`) or a change against the previous period (`+15%`, `-10%`).
  ///
  /// - Returns: the normalised target text.
  /// - Throws: `DomainError` naming `metric` or `target` and the rule.
  package static func validate(metric: String, target: String) throws(DomainError) -> (
    String, String
  ) {
    let name = metric.lowercased()
    guard metrics[name] != nil else {
      throw .invalidValue(
        field: "metric", value: metric,
        rule: "must be one of \(metrics.keys.sorted().joined(separator: ", "))")
    }
    let text = target.trimmingCharacters(in: .whitespaces)
    if text.hasSuffix("%"), text.first == "+" || text.first == "-",
      let number = Double(text.dropFirst().dropLast()), number.isFinite,
      number >= 0
    {
      return (name, "\(text.first!)\(ReportBuilder.format(number))%")
    }
    guard let number = Double(text), number.isFinite, number >= 0 else {
      throw .invalidValue(
        field: "target", value: target,
        rule: "must be a number such as 4.5 or a change such as +15% or -10%")
    }
    return (name, ReportBuilder.format(number))
  }

  /// Each target with its goal, the actual figure, and whether it is met; sorted by metric.
  package static func evaluate(
    _ targets: [String: String], actual: ServiceReport, previous: ServiceReport?
  ) -> [ServiceReport.TargetResult] {
    targets.keys.sorted().compactMap { name in
      guard let metric = metrics[name], let target = targets[name] else { return nil }
      let now = metric.value(actual)
      let before = previous.flatMap(metric.value)
      var goal: Double?
      if target.hasSuffix("%"), let change = Double(target.dropFirst().dropLast()) {
        let sign: Double = target.first == "-" ? -1 : 1
        goal = before.map { ReportMath.round($0 * (1 + sign * change / 100), 2) }
      } else {
        goal = Double(target)
      }
      var met: Bool?
      if let goal, let now { met = metric.higherIsBetter ? now >= goal : now <= goal }
      return .init(
        metric: name, target: target, goal: goal, actual: now, previous: before, met: met)
    }
  }
}
