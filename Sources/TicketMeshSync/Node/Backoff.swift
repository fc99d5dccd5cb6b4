/// Exponential back-off with jitter for retrying a peer: base, doubled per failure, capped.
///
/// A value type with injected randomness, so tests replay it exactly.
package struct Backoff: Sendable {
    /// The first delay after a failure.
    package var base: Duration
    /// The longest delay.
    package var cap: Duration
    /// Failures since the last success.
    package private(set) var failures = 0

    package init(base: Duration = .milliseconds(500), cap: Duration = .seconds(60)) {
        precondition(base > .zero && cap >= base, "back-off needs 0 < base ≤ cap")
        self.base = base
        self.cap = cap
    }

    /// Records a failure and returns how long to wait: min(cap, base·2^(failures−1)), scaled by `jitter` in [0.5, 1].
    ///
    /// - Parameter jitter: a number in [0, 1) (e.g. `Double.random(in: 0..<1)`); 0 gives half the delay.
    package mutating func nextDelay(jitter: Double) -> Duration {
        failures += 1
        let exponent = min(failures - 1, 30)
        var delay = base * (1 << exponent)
        if delay > cap { delay = cap }
        return delay * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }

    /// Records a success: the next failure starts from `base` again.
    package mutating func reset() { failures = 0 }
}
