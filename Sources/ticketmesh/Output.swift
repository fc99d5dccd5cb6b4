import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// Printing results and errors the same way in every command.
enum Output {
    /// Prints `value` as pretty, key-sorted JSON on stdout.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Prints a line on stderr.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Runs a command body, turning module errors into a message on stderr and a non-zero exit.
///
/// Exit codes: 2 invalid value, 3 not found, 4 illegal transition, 5 forbidden, 6 conflict,
/// 7 damaged or malformed input, 8 store problem, 1 anything else.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as DomainError {
        Output.note("error: \(error.message)")
        let code: Int32 =
            switch error.code {
            case .invalidValue: 2
            case .notFound: 3
            case .illegalTransition: 4
            case .forbidden: 5
            case .conflict: 6
            }
        throw ExitCode(code)
    } catch let error as ReplicationError {
        Output.note("error: \(error.message)")
        throw ExitCode(7)
    } catch let error as StoreError {
        Output.note("error: \(error.message)")
        throw ExitCode(8)
    }
}
