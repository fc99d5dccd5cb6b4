import Foundation
import Synchronization

/// Progress of long work on stderr (seeding, bootstrap, imports, syncs).
///
/// On a terminal one line is redrawn at most every quarter second: done / total, rate and time
/// left. Otherwise (a log, a pipe, a test) each stage prints one line when it ends, so logs stay short.
final class ProgressMeter: Sendable {
    private struct State {
        var started = ContinuousClock.now
        var drawn: ContinuousClock.Instant?
        var width = 0
    }

    let stage: String
    let unit: String
    let total: Int?
    private let terminal: Bool
    private let state = Mutex(State())

    /// - Parameters: `stage` names the work (`seed`, `bootstrap`); `unit` what is counted; `total` if known.
    init(stage: String, unit: String = "", total: Int? = nil, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.stage = stage
        self.unit = unit
        self.total = total
        self.terminal = terminal
    }

    /// Counts `done` units so far of `total` (the meter's own if nil); redrawn on a terminal only.
    func update(done: Int, total: Int? = nil, note: String? = nil) {
        guard terminal else { return }
        let text: String? = state.withLock { state in
            let now = ContinuousClock.now
            if let drawn = state.drawn, now - drawn < .milliseconds(250) { return nil }
            state.drawn = now
            return Self.describe(stage: stage, done: done, total: total ?? self.total, unit: unit, seconds: Self.seconds(now - state.started))
                + (note.map { " \($0)" } ?? "")
        }
        if let text { draw(text) }
    }

    /// Ends a redrawn line without a summary of its own (the caller prints one).
    func end() {
        let drawn = state.withLock { $0.drawn != nil }
        if terminal && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// A step of the work: redrawn on a terminal, one line otherwise.
    func line(_ message: String) {
        if terminal { draw("\(stage): \(message)") } else { FileHandle.standardError.write(Data("\(stage): \(message)\n".utf8)) }
    }

    /// Ends the stage with one line: `done` units (if counted), the time taken and the rate.
    func finish(done: Int? = nil, _ message: String? = nil) {
        let seconds = state.withLock { Self.seconds(ContinuousClock.now - $0.started) }
        var text = "\(stage): "
        if let done {
            text += "\(done)\(unit.isEmpty ? "" : " \(unit)") in \(String(format: "%.1f", seconds)) s"
            if seconds > 0 { text += String(format: " (%.0f/s)", Double(done) / seconds) }
            if let message { text += "; \(message)" }
        } else {
            text += "\(message ?? "done") in \(String(format: "%.1f", seconds)) s"
        }
        if terminal { draw(text) }
        FileHandle.standardError.write(Data((terminal ? "\n" : "\(text)\n").utf8))
    }

    /// `seed: 1,200/20,000 tickets (6 %), 540/s, 31 s left`.
    static func describe(stage: String, done: Int, total: Int?, unit: String, seconds: Double) -> String {
        var text = "\(stage): \(done)"
        let rate = seconds > 0 ? Double(done) / seconds : 0
        if let total, total > 0 {
            text += "/\(total)\(unit.isEmpty ? "" : " \(unit)") (\(done * 100 / total) %)"
            text += String(format: ", %.0f/s", rate)
            if rate > 0, done < total { text += ", \(Int((Double(total - done) / rate).rounded(.up))) s left" }
        } else {
            text += (unit.isEmpty ? "" : " \(unit)") + String(format: ", %.0f/s", rate)
        }
        return text
    }

    private func draw(_ text: String) {
        let padded: String = state.withLock { state in
            defer { state.width = text.count }
            return text + String(repeating: " ", count: max(0, state.width - text.count))
        }
        FileHandle.standardError.write(Data("\r\(padded)".utf8))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
