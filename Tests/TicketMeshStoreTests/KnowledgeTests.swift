import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R9: search in Chinese and English, and hit counts that add up across offline sites.
@Suite struct KnowledgeTests {
    let clock = ManualClock()

    @Test func twoCharacterChineseFindsLongerPhrases() async throws {
        let store = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let delay = try await store.addArticle(title: "物流延误怎么办", body: "快递超过3天未更新：联系承运商，补发或退款。", category: "logistics", actor: "alice")
        _ = try await store.addArticle(title: "Return policy", body: "Opened items can be returned within 7 days.", category: "returns", actor: "alice")
        _ = try await store.addArticle(title: "支付失败", body: "银行卡支付失败时请更换支付方式。", category: "payment", actor: "alice")
        #expect(try await store.searchArticles("物流").map(\.id) == [delay.id])
        #expect(try await store.searchArticles("物流延误").map(\.id) == [delay.id])
        #expect(try await store.searchArticles("承运商 补发").map(\.id) == [delay.id])
        #expect(try await store.searchArticles("RETURN policy").map(\.title) == ["Return policy"])
        #expect(try await store.searchArticles("物流", category: "payment").isEmpty)
        #expect(try await store.searchArticles("天气").isEmpty)
        await #expect(throws: DomainError.self) { try await store.searchArticles("   ") }
        await #expect(throws: DomainError.self) { try await store.addArticle(title: "x", body: "y", category: "物流", actor: nil) }
    }

    /// Found by schemathesis (issue 18 item 18): a NUL in the query was a full-text syntax error, a 500.
    @Test func aNULInTheQuerySeparatesWordsInsteadOfFailing() async throws {
        let store = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let delay = try await store.addArticle(title: "物流延误怎么办", body: "Courier delayed the parcel.", category: "logistics", actor: nil)
        #expect(try await store.searchArticles("courier\0parcel").map(\.id) == [delay.id])
        #expect(try await store.searchArticles("ßW¸r\u{0B}\u{9C}ú\0", category: "logistics").isEmpty)
        await #expect(throws: DomainError.self) { try await store.searchArticles("\0 \0") }
    }

    @Test func hitCountsFromThreeOfflineSitesSum() async throws {
        let sites = try ["HQ", "SH", "BJ"].map { try ReplicaStore.inMemory(site: SiteCode($0), configuration: clock.configuration) }
        let article = try await sites[0].addArticle(title: "物流延误怎么办", body: "联系承运商", category: "logistics", actor: "alice")
        for site in sites.dropFirst() { try await deliverAll(from: sites[0], to: site) }
        // Offline: HQ counts 2 uses, SH 3, BJ 4.
        for (index, uses) in [2, 3, 4].enumerated() {
            for _ in 0..<uses { _ = try await sites[index].useArticle(article.id, ticket: nil, actor: "agent\(index)") }
        }
        #expect(try await sites[1].article(article.id).hits == 3)
        for _ in 0..<2 {
            for from in sites { for to in sites where to !== from { try await deliverAll(from: from, to: to) } }
        }
        for site in sites {
            #expect(try await site.article(article.id).hits == 9)
            #expect(try await site.searchArticles("物流").first?.hits == 9)
        }
        #expect(Set(try await sites.asyncMap { try await $0.digest() }).count == 1)
    }

    @Test func linkingFromTwoSitesCountsOneResolvedTicket() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        _ = try await hq.addCustomer(Customer(id: "C202405001", name: "Acme"), generateID: false, actor: nil)
        let ticket = try await hq.createTicket(TicketDraft(customerId: "C202405001", channel: "chat", type: "complaint", urgency: "normal", summary: "物流延误"), actor: nil)
        let article = try await hq.addArticle(title: "物流延误怎么办", body: "联系承运商", category: "logistics", actor: nil)
        try await deliverAll(from: hq, to: sh)
        _ = try await hq.useArticle(article.id, ticket: ticket.number, actor: nil)
        _ = try await sh.useArticle(article.id, ticket: ticket.id, actor: nil)
        try await deliverAll(from: hq, to: sh)
        try await deliverAll(from: sh, to: hq)
        let merged = try await sh.article(article.id)
        #expect(merged.resolvedTickets == 1)
        #expect(merged.hits == 2)
        // Rebuilding from the log restores the search index too.
        try await sh.rebuildFromLog()
        #expect(try await sh.searchArticles("物流").map(\.id) == [article.id])
    }
}
