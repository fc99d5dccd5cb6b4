import Foundation

/// Scheduled care and churn warnings (R8.2, R8.3) as pure rules over a customer's history.
///
/// Tasks get deterministic ids (customer + rule + period) so two sites that raise the same
/// task offline converge to one record.
package enum CareRules {
    /// A care task the rules say should exist.
    package struct Task: Sendable, Equatable, Codable {
        /// `care:CUSTOMER:RULE:PERIOD`.
        package var id: String
        package var customerId: String
        /// welcome, day-7, day-30, quarterly-summary, churn.
        package var kind: String
        /// When it is due (ms since 1970, UTC).
        package var dueAt: Int64
        package var reason: String

        package init(id: String, customerId: String, kind: String, dueAt: Int64, reason: String) {
            self.id = id
            self.customerId = customerId
            self.kind = kind
            self.dueAt = dueAt
            self.reason = reason
        }
    }

    /// The churn thresholds (R8.3); configuration, not code.
    package struct ChurnPolicy: Sendable, Equatable {
        /// A drop of at least this share of purchases, last 3 months against the 3 before.
        package var purchaseDrop: Double = 0.30
        /// Satisfaction below this on a 0–100 scale (a 1–5 score × 20).
        package var satisfactionFloor: Double = 80
        /// Length of each comparison window (ms): three months of 30 days.
        package var window: Int64 = 90 * 86_400_000

        package init() {}
    }

    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// New-customer care: welcome within 24 h, check-in on day 7, survey on day 30 (R8.2).
    package static func onboarding(customerId: String, since start: Int64) -> [Task] {
        [
            Task(id: "care:\(customerId):welcome", customerId: customerId, kind: "welcome", dueAt: start + 24 * hour, reason: "new customer: welcome call within 24 h"),
            Task(id: "care:\(customerId):day-7", customerId: customerId, kind: "day-7", dueAt: start + 7 * day, reason: "new customer: check-in on day 7"),
            Task(id: "care:\(customerId):day-30", customerId: customerId, kind: "day-30", dueAt: start + 30 * day, reason: "new customer: satisfaction survey on day 30"),
        ]
    }

    /// The VIP quarterly service summary for the quarter containing `now`, due at its end (UTC).
    package static func quarterlySummary(customerId: String, now: Int64) -> Task {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(now) / 1000)
        let year = calendar.component(.year, from: date)
        let quarter = (calendar.component(.month, from: date) - 1) / 3 + 1
        let next = calendar.date(from: DateComponents(year: quarter == 4 ? year + 1 : year, month: quarter == 4 ? 1 : quarter * 3 + 1, day: 1))!
        return Task(
            id: "care:\(customerId):quarterly:\(year)Q\(quarter)", customerId: customerId, kind: "quarterly-summary",
            dueAt: Int64(next.timeIntervalSince1970 * 1000), reason: "VIP customer: quarterly service summary for \(year) Q\(quarter)")
    }

    /// Why a customer is at risk of churning, or nil (R8.3).
    ///
    /// - Parameters:
    ///   - purchases: purchase times (ms).
    ///   - scores: satisfaction scores 1–5 within the last window.
    package static func churnReason(purchases: [Int64], scores: [Int], now: Int64, policy: ChurnPolicy = .init()) -> String? {
        var reasons: [String] = []
        let recent = purchases.filter { $0 > now - policy.window && $0 <= now }.count
        let before = purchases.filter { $0 > now - 2 * policy.window && $0 <= now - policy.window }.count
        if before > 0 {
            let drop = Double(before - recent) / Double(before)
            // Compare in whole per-mille so 30 % exactly is not lost to floating point.
            if (drop * 1000).rounded() >= (policy.purchaseDrop * 1000).rounded() {
                reasons.append("purchases down \(Int((drop * 100).rounded())) % (\(before) → \(recent) in 3 months)")
            }
        }
        if !scores.isEmpty {
            let satisfaction = Double(scores.reduce(0, +)) * 20 / Double(scores.count)
            if satisfaction < policy.satisfactionFloor {
                reasons.append("satisfaction \(String(format: "%.1f", satisfaction)) below \(Int(policy.satisfactionFloor))")
            }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// The churn task for the month containing `now` (one per customer and month), due at the
    /// end of the next UTC day, so sites sweeping the same day write identical values.
    package static func churnTask(customerId: String, reason: String, now: Int64) -> Task {
        let month = String(Timestamps.day(now, in: TimeZone(identifier: "UTC")!).prefix(6))
        let due = (now / day + 2) * day
        return Task(id: "care:\(customerId):churn:\(month)", customerId: customerId, kind: "churn", dueAt: due, reason: "churn warning: \(reason)")
    }
}
