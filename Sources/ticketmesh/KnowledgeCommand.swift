import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshStore

struct KnowledgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb", abstract: "Knowledge base: standard answers, searchable in Chinese and English (R9).",
        subcommands: [KnowledgeAdd.self, KnowledgeSearch.self, KnowledgeShow.self, KnowledgeUse.self])
}

private func printArticles(_ articles: [Article], options: GlobalOptions) throws {
    if options.json { return try Output.json(articles) }
    for article in articles {
        print("\(article.id)  [\(article.category)]  \(article.title)  (used \(article.hits)×, resolved \(article.resolvedTickets))")
    }
    if articles.isEmpty { Output.note("no articles match") }
}

struct KnowledgeAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an article.")
    @OptionGroup var options: GlobalOptions
    @Option var title: String
    @Option var body: String
    @Option(help: "Category, e.g. \(Article.standardCategories.joined(separator: ", ")).") var category: String

    func run() async throws {
        try await runReporting {
            let article = try await options.openStore().addArticle(title: title, body: body, category: category, actor: options.actor)
            if options.json { try Output.json(article) } else { print("Added article \(article.id)") }
        }
    }
}

struct KnowledgeSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Find articles containing every word.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Words to find, e.g. 物流 or 'return policy'.") var query: String
    @Option(help: "Only this category.") var category: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            try printArticles(try await store.searchArticles(query, category: category).map(disclosure.article), options: options)
        }
    }
}

struct KnowledgeShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an article.")
    @OptionGroup var options: GlobalOptions
    @Argument var id: String

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let disclosure = try await store.disclosure(for: .viewTickets, actor: options.actor)
            let article = disclosure.article(try await store.article(id))
            if options.json { return try Output.json(article) }
            print("\(article.title)  [\(article.category)]  used \(article.hits)×, resolved \(article.resolvedTickets) tickets")
            print(article.body)
        }
    }
}

struct KnowledgeUse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use", abstract: "Count a use of an article, optionally linking the ticket it resolved.")
    @OptionGroup var options: GlobalOptions
    @Argument var id: String
    @Option(help: "Ticket id or number it resolved.") var ticket: String?

    func run() async throws {
        try await runReporting {
            let article = try await options.openStore().useArticle(id, ticket: ticket, actor: options.actor)
            if options.json { try Output.json(article) } else { print("\(article.title): used \(article.hits)×") }
        }
    }
}
