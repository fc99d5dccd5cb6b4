import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Users and roles (R10.2), replicated to every site.",
        discussion: """
            Roles: agent, specialist, supervisor, manager, analyst, admin. While a site has no users every command
            is allowed (open mode); the first 'user add' must create an admin, and from then on every command
            checks the role of the acting user (--as USER or $TICKETMESH_USER).
            """,
        subcommands: [UserAdd.self, UserList.self, UserShow.self, UserSet.self, UserPassword.self])
}

func printUser(_ user: User, options: GlobalOptions) throws {
    if options.json { return try Output.json(user) }
    print("\(user.name)  \(user.role.rawValue)\(user.department.map { "  dept \($0)" } ?? "")\(user.displayName.map { "  (\($0))" } ?? "")\(user.active ? "" : "  [inactive]")")
}

struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user (admins; the first user of a site must be an admin).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "User name (what --as takes).") var name: String
    @Option(help: "Role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).") var role: String
    @Option(name: .customLong("display-name"), help: "Full name.") var displayName: String?
    @Option(help: "Department.") var department: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            if try await store.user(named: name) != nil {
                throw DomainError(code: .conflict, message: "user '\(name)' already exists: use 'user set \(name)' to change it")
            }
            let user = try await store.saveUser(
                User(name: name, role: try Role.parse(role), displayName: displayName, department: department), actor: options.actor)
            try printUser(user, options: options)
        }
    }
}

struct UserSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Change a user's role, department or active flag (admins).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "User name.") var name: String
    @Option(help: "New role.") var role: String?
    @Option(help: "Department.") var department: String?
    @Option(help: "true or false.") var active: Bool?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            guard var user = try await store.user(named: name) else { throw DomainError.notFound("user", name) }
            if let role { user.role = try Role.parse(role) }
            if let department { user.department = department }
            if let active { user.active = active }
            try printUser(try await store.saveUser(user, actor: options.actor), options: options)
        }
    }
}

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let users = try await store.users()
            if options.json { return try Output.json(users) }
            for user in users { try printUser(user, options: options) }
            if users.isEmpty { Output.note("no users: the site is in open mode (every command allowed) until 'user add NAME --role admin'") }
        }
    }
}

struct UserShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a user.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "User name.") var name: String

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            guard let user = try await store.user(named: name) else { throw DomainError.notFound("user", name) }
            try printUser(user, options: options)
        }
    }
}
