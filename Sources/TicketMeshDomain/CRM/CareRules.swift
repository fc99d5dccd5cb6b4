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
    ///
    /// Stored as the replicated `setting` record `churn`, one field per knob (`fieldNames`), laid
    /// over these defaults, like SLA policies: two sites changing different knobs offline keep both.
    package struct ChurnPolicy: Sendable, Equatable, Codable {
        /// A drop of at least this share of purchases, last window against the one before.
        package var purchaseDrop: Double = 0.30
        /// Satisfaction below this on a 0–100 scale (a 1–5 score × 20).
        package var satisfactionFloor: Double = 80
        /// Length of each comparison window (ms): three months of 30 days.
        package var window: Int64 = 90 * 86_400_000

        package init() {}

        /// The replicated field of each knob as typed (`purchase-drop=30`), with its value's unit.
        package static let knobs: [String: String] = [
            "purchase-drop": "purchaseDropPercent", "satisfaction-floor": "satisfactionFloor", "window": "windowDays",
        ]

        /// The policy with one replicated field applied; unknown fields and values out of range are
        /// ignored, so a newer site's knobs never break an older one.
        package func applying(field: String, int: Int64?) -> ChurnPolicy {
            var copy = self
            guard let int else { return copy }
            switch field {
            case "purchaseDropPercent": if (1...100).contains(int) { copy.purchaseDrop = Double(int) / 100 }
            case "satisfactionFloor": if (1...100).contains(int) { copy.satisfactionFloor = Double(int) }
            case "windowDays": if (1...365).contains(int) { copy.window = int * 86_400_000 }
            default: break
            }
            return copy
        }

        /// Turns a knob as typed (`purchase-drop=30%`, `satisfaction-floor=80`, `window=90d`) into
        /// the replicated field and value.
        ///
        /// - Throws: `DomainError.invalidValue` naming the knob and its rule.
        package static func field(forSetting setting: String) throws(DomainError) -> (field: String, value: Int64) {
            guard let eq = setting.firstIndex(of: "=") else {
                throw .invalidValue(field: "setting", value: setting, rule: "must be KNOB=VALUE, e.g. purchase-drop=30")
            }
            let key = setting[..<eq].lowercased()
            let raw = setting[setting.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard let field = knobs[key] else {
                throw .invalidValue(field: "setting", value: key, rule: "knobs are \(knobs.keys.sorted().joined(separator: ", "))")
            }
            switch key {
            case "purchase-drop":
                guard let value = Int64(raw.hasSuffix("%") ? String(raw.dropLast()).trimmingCharacters(in: .whitespaces) : raw),
                    (1...100).contains(value)
                else {
                    throw .invalidValue(field: "purchase-drop", value: raw, rule: "must be a percentage from 1 to 100")
                }
                return (field, value)
            case "satisfaction-floor":
                guard let value = Int64(raw), (1...100).contains(value) else {
                    throw .invalidValue(field: "satisfaction-floor", value: raw, rule: "must be an integer from 1 to 100 (0–100 scale)")
                }
                return (field, value)
            default:
                guard let value = Int64(raw.hasSuffix("d") ? String(raw.dropLast()) : raw), (1...365).contains(value) else {
                    throw .invalidValue(field: "window", value: raw, rule: "must be a number of days from 1 to 365, e.g. 90d")
                }
                return (field, value)
            }
        }
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
                reasons.append("purchases down \(Int((drop * 100).rounded())) % (\(before) → \(recent) in \(policy.window == 90 * day ? "3 months" : "\(policy.window / day) days"))")
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
