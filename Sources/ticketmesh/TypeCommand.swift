import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct TypeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "type", abstract: "The request-type tree (R2.1): categories and subtypes, replicated to every site.",
        discussion: """
            The tree starts with the standards' defaults; 'type set' adds a node or changes its label or state (admins,
            at an admin site). A retired category retires its subtypes for new tickets; existing tickets keep their type.
            """,
        subcommands: [TypeList.self, TypeSet.self])
}

struct TypeList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tree, retired nodes marked.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            try await store.authorize(.viewTickets, actor: options.actor)
            let nodes = try await store.requestTypes().nodes.values.sorted { $0.path < $1.path }
            if options.json { return try Output.json(nodes) }
            for node in nodes {
                let indent = node.path.contains("/") ? "  " : ""
                print("\(indent)\(node.path)  \(node.label)\(node.active ? "" : "  [retired]")")
            }
        }
    }
}

struct TypeSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Add a request type, or change its label or whether new tickets may use it (admins).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "category or category/subtype, e.g. complaint/delivery.") var path: String
    @Option(help: "The label shown in the UI and reports (required for a new type).") var label: String?
    @Flag(inversion: .prefixedNo, help: "--active offers it again, --no-active retires it.") var active: Bool?

    func run() async throws {
        try await runReporting {
            let node = try await options.openStore().saveRequestType(path: path, label: label, active: active, actor: options.actor)
            if options.json { return try Output.json(node) }
            print("\(node.path)  \(node.label)\(node.active ? "" : "  [retired]")")
        }
    }
}
