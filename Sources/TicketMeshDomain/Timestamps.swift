import Foundation

/// Conversions between stored times (ms since 1970, UTC) and what people read and type.
package enum Timestamps {
    /// `YYYYMMDD` of `millis` in `timeZone`, for ticket numbers.
    package static func day(_ millis: Int64, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
    }

    /// ISO 8601 with milliseconds in UTC: `2026-11-28T09:40:00.000Z`.
    package static func iso(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// Parses ISO 8601 (`2026-11-28T09:40:00Z`, with or without fractional seconds) or `YYYY-MM-DD` (UTC midnight).
    /// A date, or a date and time with optional fraction and a `Z` or `±hh:mm` offset.
    // A Regex is immutable once built and only matched against, so sharing it across tasks is safe.
    nonisolated(unsafe) static let shape = /[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?/

    package static func parse(_ text: String, field: String) throws(DomainError) -> Int64 {
        // The formatters ignore what follows a date ("2033-12-14*" parsed); only whole ISO 8601 forms pass.
        guard text.wholeMatch(of: shape) != nil else {
            throw .invalidValue(field: field, value: text, rule: "must be an ISO 8601 time like 2026-11-28T09:40:00Z or a date like 2026-11-28")
        }
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        for formatter in [full, plain, dateOnly] {
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        throw .invalidValue(field: field, value: text, rule: "must be an ISO 8601 time like 2026-11-28T09:40:00Z or a date like 2026-11-28")
    }
}
