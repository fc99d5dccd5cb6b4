import Foundation
import Glibc

/// Hands a rendered message to the MTA.
package protocol MailTransport: Sendable {
    /// Sends one message; returns normally once the MTA accepted it (queued it for delivery).
    ///
    /// - Throws: `MailTransportError` with the MTA's answer when it refused the message.
    func send(_ message: [UInt8], recipient: String) async throws
}

/// An MTA's refusal of a message (non-zero exit of `sendmail`, or it could not be started).
package struct MailTransportError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { message }

    package init(message: String) { self.message = message }
}

/// The local MTA's `sendmail` interface (Postfix, Exim, OpenSMTPD all provide it): `sendmail -t -oi`,
/// the message on standard input, recipients from its `To` header.
package struct Sendmail: MailTransport {
    /// The program; `/usr/sbin/sendmail` unless configured (`--sendmail`, `TICKETMESH_SENDMAIL`).
    package var path: String
    /// The envelope sender (`-f`); nil lets the MTA choose (the user running us).
    package var envelopeSender: String?

    package static let defaultPath = "/usr/sbin/sendmail"

    package init(path: String = Sendmail.defaultPath, envelopeSender: String? = nil) {
        self.path = path
        self.envelopeSender = envelopeSender
    }

    package func send(_ message: [UInt8], recipient: String) async throws {
        // A sendmail that exits before reading all of the message must not kill us with SIGPIPE.
        _ = signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        var arguments = ["-t", "-oi"]
        if let envelopeSender { arguments += ["-f", envelopeSender] }
        process.arguments = arguments
        let input = Pipe()
        // The MTA's answer goes to a file, so a chatty MTA never blocks on a full pipe.
        let answerURL = FileManager.default.temporaryDirectory.appendingPathComponent("ticketmesh-sendmail-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: answerURL.path, contents: nil), let answer = try? FileHandle(forWritingTo: answerURL) else {
            throw MailTransportError(message: "cannot create a temporary file for \(path)'s answer in \(answerURL.deletingLastPathComponent().path)")
        }
        defer {
            try? answer.close()
            try? FileManager.default.removeItem(at: answerURL)
        }
        process.standardInput = input
        process.standardOutput = answer
        process.standardError = answer
        do {
            try process.run()
        } catch {
            throw MailTransportError(message: "cannot run \(path): \(error.localizedDescription)")
        }
        do {
            try input.fileHandleForWriting.write(contentsOf: Data(message))
        } catch {
            // sendmail exited early; its status below says why.
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let output = (try? Data(contentsOf: answerURL)) ?? Data()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw MailTransportError(
                message: "\(path) refused the message to \(recipient) (exit \(process.terminationStatus))\(text.isEmpty ? "" : ": \(String(text.prefix(300)))")")
        }
    }
}
