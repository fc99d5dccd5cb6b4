import Foundation
import Synchronization

/// Failed logins remembered per user name and per client address, to refuse guessing (Docs/web.md, "Logins").
///
/// A name or an address with `limit` failures inside `window` is refused until the oldest of them
/// leaves the window. A success clears the name's failures, not the address's (one good account
/// must not buy an address more guesses at others). Each table holds at most `capacity` keys: past
/// that, keys without a failure in the window go first, then the one whose last failure is oldest.
package final class LoginThrottle: Sendable {
    /// How many failures within what time, and how many names and addresses are remembered.
    package struct Limits: Sendable, Equatable {
        /// Failures per user name within `window` before its logins are refused.
        package var perUser: Int
        /// Failures per client address within `window` before its logins are refused.
        package var perAddress: Int
        /// Seconds.
        package var window: TimeInterval
        /// Keys per table (names, addresses).
        package var capacity: Int

        /// 5 per name and 50 per address in 15 minutes, 10,000 names and 10,000 addresses.
        package init(perUser: Int = 5, perAddress: Int = 50, window: TimeInterval = 15 * 60, capacity: Int = 10_000) {
            precondition(perUser > 0 && perAddress > 0 && window > 0 && capacity > 0)
            self.perUser = perUser
            self.perAddress = perAddress
            self.window = window
            self.capacity = capacity
        }
    }

    /// What is throttled and for how long.
    package struct Refusal: Sendable, Equatable {
        /// "user 'agent'" or "address 127.0.0.1".
        package let subject: String
        package let failures: Int
        /// Whole seconds until the next attempt is taken, at least 1.
        package let retryAfter: Int
    }

    private struct Tables {
        var users: [String: [Date]] = [:]
        var addresses: [String: [Date]] = [:]
    }

    /// The numbers it enforces.
    package let limits: Limits
    private let tables = Mutex(Tables())
    private let now: @Sendable () -> Date

    /// A throttle with `limits`; tests inject `now`.
    package init(limits: Limits, now: @escaping @Sendable () -> Date = { Date() }) {
        self.limits = limits
        self.now = now
    }

    /// A name as a key: names are at most 63 characters, so a longer one is cut (it cannot exist,
    /// and must not grow the table's memory).
    private static func key(user: String) -> String { String(user.prefix(64)) }

    /// Why a login by `user` from `address` is refused now, or nil if it may be tried.
    package func refusal(user: String, address: String?) -> Refusal? {
        let current = now()
        let window = limits.window
        func check(_ failures: [Date]?, limit: Int, subject: String) -> Refusal? {
            guard let failures else { return nil }
            let recent = failures.filter { current.timeIntervalSince($0) < window }
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            let wait = oldest.addingTimeInterval(window).timeIntervalSince(current)
            return Refusal(subject: subject, failures: recent.count, retryAfter: max(1, Int(wait.rounded(.up))))
        }
        return tables.withLock { tables in
            check(tables.users[Self.key(user: user)], limit: limits.perUser, subject: "user '\(Self.key(user: user))'")
                ?? address.flatMap {
                    check(tables.addresses[$0], limit: limits.perAddress, subject: "address \($0)")
                }
        }
    }

    /// Counts a failed login by `user` from `address`.
    package func recordFailure(user: String, address: String?) {
        let current = now()
        tables.withLock { tables in
            Self.record(current, key: Self.key(user: user), in: &tables.users, limit: limits.perUser, limits: limits)
            if let address {
                Self.record(current, key: address, in: &tables.addresses, limit: limits.perAddress, limits: limits)
            }
        }
    }

    /// Clears the failures of `user` after a successful login.
    package func recordSuccess(user: String) {
        _ = tables.withLock { $0.users.removeValue(forKey: Self.key(user: user)) }
    }

    /// Keys remembered: user names, addresses (for tests of the cap).
    package var counts: (users: Int, addresses: Int) {
        tables.withLock { ($0.users.count, $0.addresses.count) }
    }

    private static func record(
        _ time: Date,
        key: String,
        in table: inout [String: [Date]],
        limit: Int,
        limits: Limits
    ) {
        if table[key] == nil, table.count >= limits.capacity {
            table = table.filter { time.timeIntervalSince($0.value.last ?? .distantPast) < limits.window }
            if table.count >= limits.capacity,
                let oldest = table.min(by: { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) })
            {
                table[oldest.key] = nil
            }
        }
        var failures = table[key, default: []].filter { time.timeIntervalSince($0) < limits.window }
        failures.append(time)
        // Only the last `limit` failures decide; older ones are never read.
        if failures.count > limit { failures.removeFirst(failures.count - limit) }
        table[key] = failures
    }
}
