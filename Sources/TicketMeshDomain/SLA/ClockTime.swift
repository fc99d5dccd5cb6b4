/// The time an SLA clock counts: a business calendar (or around the clock) minus pauses.
package struct ClockTime: Sendable, Equatable {
    /// A closed-open interval of ms `[start, end)`.
    package struct Interval: Sendable, Equatable, Hashable {
        package var start: Int64
        package var end: Int64

        package init(start: Int64, end: Int64) {
            self.start = start
            self.end = end
        }
    }

    /// nil: around the clock (24×7).
    package var calendar: BusinessCalendar?
    /// Sorted, non-overlapping spans in which the clock stands still.
    package private(set) var pauses: [Interval]

    package init(calendar: BusinessCalendar?, pauses: [Interval] = []) {
        self.calendar = calendar
        guard !pauses.isEmpty else {
            self.pauses = []
            return
        }
        var merged: [Interval] = []
        for pause in pauses.filter({ $0.end > $0.start }).sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let last = merged.last, pause.start <= last.end {
                merged[merged.count - 1].end = max(last.end, pause.end)
            } else {
                merged.append(pause)
            }
        }
        self.pauses = merged
    }

    /// Calls `body` with each counted interval from `from` on, in order, until it returns false.
    package func forEachCounted(from: Int64, _ body: (Int64, Int64) -> Bool) {
        func emit(_ start: Int64, _ end: Int64) -> Bool {
            var cursor = start
            for pause in pauses where pause.end > cursor && pause.start < end {
                if pause.start > cursor, !body(cursor, pause.start) { return false }
                cursor = max(cursor, pause.end)
                if cursor >= end { return true }
            }
            return cursor >= end || body(cursor, end)
        }
        if let calendar {
            calendar.forEachWorkingInterval(from: from) { start, end in emit(start, end) }
        } else {
            _ = emit(from, Int64.max / 4)
        }
    }

    /// Counted time (ms) between `from` and `to`; 0 when `to ≤ from`.
    package func elapsed(from: Int64, to: Int64) -> Int64 {
        guard to > from else { return 0 }
        var total: Int64 = 0
        forEachCounted(from: from) { start, end in
            guard start < to else { return false }
            total += min(end, to) - start
            return end < to
        }
        return total
    }

    /// The instant at which `duration` ms of counted time have passed since `from`.
    ///
    /// Never before `from`. If the calendar has no working time for ten years, the end of that scan.
    package func advance(from: Int64, by duration: Int64) -> Int64 {
        var left = max(0, duration)
        var result = from
        forEachCounted(from: from) { start, end in
            result = start
            if end - start >= left {
                result = start + left
                return false
            }
            left -= end - start
            result = end
            return true
        }
        return max(from, result)
    }
}
