import ArgumentParser
import Foundation
import TicketMeshServer
import TicketMeshStore

/// `ticketmesh user password NAME`: sets a user's password for the web UI and API (bcrypt, replicated).
struct UserPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Set a user's password for the web UI and API (admins, or the user themself).",
        discussion: "Reads the password from --password or, without it, the first line of standard input."
    )
    @OptionGroup var options: GlobalOptions
    @Argument(help: "User name.") var name: String
    @Option(help: "The new password (8–72 bytes); prefer standard input, which stays out of the process list.")
    var password: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            guard let secret = password ?? readLine(strippingNewline: true) else {
                throw ValidationError("missing password: pass --password or write it on standard input")
            }
            do throws(PasswordError) {
                try Passwords.validate(secret)
            } catch {
                throw ValidationError(error.message)
            }
            try await store.setPasswordHash(name, hash: Passwords.hash(secret), actor: options.actor)
            if options.json {
                try Output.json(["user": name, "password": "set"])
            } else {
                print("password set for \(name)")
            }
        }
    }
}
