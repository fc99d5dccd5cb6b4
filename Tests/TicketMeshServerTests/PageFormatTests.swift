import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshServer
@testable import TicketMeshStore

struct PageFormatTests {
    @Test(arguments: [0, 59_999, 951_782_400_000, 1_795_000_000_000, 1_800_000_000_123, 4_102_444_799_000, -86_400_001])
    func timeMatchesDateFormatter(millis: Int64) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = WebUI.serverTimeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let expected = formatter.string(from: Date(timeIntervalSince1970: (Double(millis) / 1000).rounded(.down)))
        #expect(WebUI.time(millis) == expected)
        #expect(WebUI.time(nil) == "")
    }

    /// The queue page is written without mustache, so it must escape what it shows as `{{value}}` does.
    @Test func queuePageEscapesEveryShownValue() {
        let hostile = "<script>alert(\"x\")</script> & 'q' 物流"
        let ticket = Ticket(
            id: "t\"1", number: "20261128-HQ-0001", customerId: "C1", channel: "phone", type: "complaint",
            urgency: "urgent<", summary: hostile, receivedAt: 0, registeredAt: 0, state: "new>", assignee: "<b>li</b>",
            originSite: "HQ")
        var page = HTML()
        var context = WebUI.QueueContext(filter: .init(assignee: "<li>", search: "<q>"), language: "zh-CN", now: 0)
        context.more = "/queue?assignee=<li>&limit=100"
        context.views = [SavedView(id: "v\"1", owner: "agent", name: "<em>view</em>", query: "q=%3Cq%3E", createdAt: 0)]
        WebUI.queueTable(
            &page, [QueueItem(ticket: ticket, clocks: [], nextDueAt: nil)],
            strings: ["breached": "<i>", "atRisk": "<i>", "queue": "<i>", "number": "<i>", "more": "<i>", "any": "<i>", "search": "<i>"],
            context: context)
        let html = page.string
        #expect(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>") && !html.contains("<em>"))
        #expect(!html.contains("<q>") && !html.contains("<li>"))
        #expect(html.contains("id=\"filter-q\" value=\"&lt;q&gt;\"") && html.contains("&lt;em&gt;view&lt;/em&gt;"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; 物流"))
        #expect(html.contains("href=\"/tickets/t&quot;1\""))
        #expect(html.contains("urgent&lt;") && html.contains("data-state=\"new&gt;\"") && html.contains("&lt;b&gt;li&lt;/b&gt;"))
        #expect(html.contains("href=\"/queue?assignee=&lt;li&gt;&amp;limit=100\""))
        var plain = HTML()
        plain.text("plain 文本")
        #expect(plain.string == "plain 文本")
    }

    /// Pieces kept by `QueueRenderCache` read as freshly written ones; a kept row is not shown
    /// once the database version moves, and a row is kept per language.
    @Test func keptQueuePiecesReadAsWrittenOnesAndGoWithTheVersion() {
        func ticket(_ summary: String, state: String) -> Ticket {
            Ticket(
                id: "t1", number: "20261128-HQ-0001", customerId: "C1", channel: "phone", type: "complaint", urgency: "urgent",
                summary: summary, receivedAt: 0, registeredAt: 0, state: state, assignee: "li", originSite: "HQ")
        }
        func page(_ ticket: Ticket, due: Int64, version: Int64?, cache: QueueRenderCache?, language: String = "zh-CN") -> String {
            var html = HTML()
            var context = WebUI.QueueContext(filter: .init(urgency: "urgent"), language: language, now: 1_000)
            context.cache = cache
            context.version = version
            WebUI.queueTable(
                &html, [QueueItem(ticket: ticket, clocks: [], nextDueAt: due)], strings: Strings.table(language), context: context)
            return html.string
        }
        let cache = QueueRenderCache()
        let first = ticket("快递未送达", state: "new")
        let fresh = page(first, due: 7_200_000, version: 1, cache: nil)
        #expect(page(first, due: 7_200_000, version: 1, cache: cache) == fresh)
        // Kept now: the same page again, and the clock's parts still follow `nextDueAt`.
        #expect(page(first, due: 7_200_000, version: 1, cache: cache) == fresh)
        #expect(page(first, due: 9_000_000, version: 1, cache: cache) == page(first, due: 9_000_000, version: 1, cache: nil))
        // Another language is its own row.
        #expect(page(first, due: 7_200_000, version: 1, cache: cache, language: "en") == page(first, due: 7_200_000, version: 1, cache: nil, language: "en"))
        // The ticket changed (a new version): the new row, not the kept one.
        let second = ticket("快递已改派", state: "acknowledged")
        let changed = page(second, due: 7_200_000, version: 2, cache: cache)
        #expect(changed == page(second, due: 7_200_000, version: 2, cache: nil))
        #expect(changed.contains("快递已改派") && !changed.contains("快递未送达"))
        // Without a version nothing is kept: a store without a file cannot tell a change.
        #expect(page(first, due: 7_200_000, version: nil, cache: cache) == fresh)
        #expect(page(second, due: 7_200_000, version: nil, cache: cache).contains("快递已改派"))
    }

    /// Form decoding reads as Foundation's did: `+` a space, `%XX` bytes of UTF-8; text breaking
    /// either rule is kept as sent.
    @Test(arguments: [
        ("q=%E7%89%A9%E6%B5%81&urgency=urgent", ["q": "物流", "urgency": "urgent"]),
        ("a=1+2&b=%2B&c=%25", ["a": "1 2", "b": "+", "c": "%"]),
        ("bad=%E7%89&odd=%G1+x&cut=%4", ["bad": "%E7%89", "odd": "%G1+x", "cut": "%4"]),
        ("plain=text&empty=", ["plain": "text", "empty": ""]),
    ])
    func formDecodingMatchesFoundation(query: String, expected: [String: String]) {
        let fields = Fields(form: query)
        var decoded: [String: String] = [:]
        for (key, value) in fields.values { if case .string(let text) = value { decoded[key] = text } }
        #expect(decoded == expected)
        for pair in query.split(separator: "&") {
            for part in pair.split(separator: "=", maxSplits: 1) {
                let foundation = part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
                #expect(ReplicaStore.TicketFilter.formDecode(part) == foundation, "\(part)")
            }
        }
    }

    /// A kept queue answers only at its version and within [from, until); a new version forgets it.
    @Test func keptQueuesAnswerWithinTheirHorizonAndVersionOnly() {
        let cache = QueueRenderCache()
        let filter = ReplicaStore.TicketFilter(urgency: "urgent")
        let ticket = Ticket(
            id: "t1", number: "20261128-HQ-0001", customerId: "C1", channel: "phone", type: "complaint", urgency: "urgent",
            summary: "s", receivedAt: 0, registeredAt: 0, state: "new", assignee: nil, originSite: "HQ")
        let items = [QueueItem(ticket: ticket, clocks: [], nextDueAt: 5_000)]
        cache.keep(queue: items, of: filter, at: 7, from: 1_000, until: 2_000)
        #expect(cache.queue(filter, at: 7, now: 1_000) == items)
        #expect(cache.queue(filter, at: 7, now: 1_999) == items)
        #expect(cache.queue(filter, at: 7, now: 2_000) == nil, "the horizon is exclusive")
        #expect(cache.queue(filter, at: 7, now: 999) == nil, "not before it was read (a clock set back)")
        #expect(cache.queue(.init(urgency: "normal"), at: 7, now: 1_500) == nil)
        #expect(cache.queue(filter, at: nil, now: 1_500) == nil)
        cache.keep(queue: items, of: .init(urgency: "normal"), at: 8, from: 1_000, until: 2_000)
        #expect(cache.queue(filter, at: 8, now: 1_500) == nil, "a new version forgot the old queue")
        #expect(cache.queue(filter, at: 7, now: 1_500) == nil)
    }
}
