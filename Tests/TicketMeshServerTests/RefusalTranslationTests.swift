import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshServer

/// Issue 16 item 4: a refusal reads in the page's language. The rules and refusals are read from
/// the sources of the store, the domain and the server (every `rule:` and every `DomainError`,
/// `APIError` and `PasswordError` message), so a rule added without its translation fails here.
struct RefusalTranslationTests {
    /// A Swift string literal's text from `start` (just after its opening quote), each
    /// interpolation `\(…)` replaced by `x`; nil for a multi-line or raw literal.
    static func literal(in source: [Character], from start: Int) -> String? {
        var index = start
        var text = ""
        while index < source.count {
            let character = source[index]
            if character == "\n" { return nil }
            if character == "\"" { return text }
            if character == "\\", index + 1 < source.count {
                if source[index + 1] == "(" {
                    // Skip to the matching parenthesis, over nested string literals.
                    var depth = 1
                    index += 2
                    while index < source.count, depth > 0 {
                        switch source[index] {
                        case "(": depth += 1
                        case ")": depth -= 1
                        case "\"":
                            index += 1
                            while index < source.count, source[index] != "\"" { index += source[index] == "\\" ? 2 : 1 }
                        default: break
                        }
                        index += 1
                    }
                    text += "x"
                    continue
                }
                text.append(source[index + 1])
                index += 2
                continue
            }
            text.append(character)
            index += 1
        }
        return nil
    }

    /// Every literal in the three modules' sources that follows a match of `pattern` (ending at its opening quote).
    static func literals(after pattern: String, modules: [String] = ["TicketMeshStore", "TicketMeshDomain", "TicketMeshServer"]) throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let regex = try NSRegularExpression(pattern: pattern)
        var found: Set<String> = []
        for module in modules {
            let directory = root.appendingPathComponent("Sources/\(module)")
            let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            for file in files where file.pathExtension == "swift" && !file.lastPathComponent.hasPrefix("Strings") {
                let text = try String(contentsOf: file, encoding: .utf8)
                let characters = Array(text)
                // NSRegularExpression counts UTF-16 units; map match ends back to character offsets.
                let utf16 = Array(text.utf16)
                var offsets: [Int: Int] = [:]
                var unit = 0
                for (position, character) in characters.enumerated() {
                    offsets[unit] = position
                    unit += String(character).utf16.count
                }
                offsets[utf16.count] = characters.count
                for match in regex.matches(in: text, range: NSRange(location: 0, length: utf16.count)) {
                    guard let start = offsets[match.range.location + match.range.length],
                        let literal = literal(in: characters, from: start)
                    else { continue }
                    found.insert(literal)
                }
            }
        }
        return found
    }

    @Test func everyRuleHasItsChineseWords() throws {
        let rules = try Self.literals(after: #"(rule:|[rR]ule =)\s*""#)
        #expect(rules.count > 60)
        let missing = rules.filter { Refusals.zh.translateRule($0) == nil }.sorted()
        #expect(missing.isEmpty, "rules with no translation in Strings+Refusals.swift: \(missing)")
    }

    @Test func everyRefusalHasItsChineseWords() throws {
        var messages = try Self.literals(after: #"DomainError\(\s*code:\s*\.\w+,\s*message:\s*""#)
        messages.formUnion(try Self.literals(after: #"(APIError|PasswordError)\([^"\n]*message:\s*""#, modules: ["TicketMeshServer"]))
        messages.formUnion(try Self.literals(after: #"APIError\.(unauthorized|badRequest|notFound)\(\s*""#, modules: ["TicketMeshServer"]))
        #expect(messages.count > 30)
        let missing = messages.filter { Refusals.zh.translate($0) == nil }.sorted()
        #expect(missing.isEmpty, "refusals with no translation in Strings+Refusals.swift: \(missing)")
    }

    @Test func everyNamedFieldKindAndActionHasItsWord() throws {
        let fields = try Self.literals(after: #"(invalidValue|missing)\(\s*field:\s*""#)
        #expect(fields.count > 40)
        let unnamed = fields.filter { $0 != "x" && !$0.hasSuffix(" x") && Refusals.fieldsZh[$0] == nil }.sorted()
        #expect(unnamed.isEmpty, "fields with no word: \(unnamed)")
        let kinds = try Self.literals(after: #"DomainError\.notFound\(\s*""#).union(try Self.literals(after: #"\.notFound\(\s*""#, modules: ["TicketMeshStore", "TicketMeshDomain"]))
        #expect(kinds.count > 5)
        #expect(kinds.filter { Refusals.kindsZh[$0] == nil }.isEmpty, "\(kinds.filter { Refusals.kindsZh[$0] == nil })")
        #expect(Permission.allCases.allSatisfy { Refusals.actionsZh[$0] != nil })
    }

    /// The whole sentence, with the parts that are words turned into words and values kept.
    @Test(arguments: [
        ("invalid accept 'soon': must be a duration like 90m, 2h, 3d or 1h30m (at least 1 minute, at most 365d)",
            "接单时限「soon」无效：须为 90m、2h、3d 或 1h30m 这样的时长（至少 1 分钟，至多 365 天）"),
        ("illegal transition of state from 'closed' to 'in-progress': allowed from 'closed': reopened",
            "状态不能从「已关闭」变为「处理中」：「已关闭」只能变为 已重开"),
        ("forbidden: user 'zhang' has role agent and may not change SLA policies: needs role manager, admin",
            "无权操作：用户「zhang」的角色是坐席，不能修改 SLA 策略：需要角色 经理、管理员"),
        ("cannot rate ticket HQ-20261201-0001 in state 'new': ratings are taken once a ticket is resolved or closed",
            "工单 HQ-20261201-0001 处于「新建」状态，不能评价：工单解决或关闭后才能评价"),
        ("unknown ticket 'HQ-1': no such ticket on this site", "本站点没有工单「HQ-1」"),
        ("missing summary: a value is required", "缺少摘要：必须填写"),
        ("invalid password: must be at least 8 characters", "密码无效：至少 8 个字符"),
    ])
    func sentencesReadInChinese(english: String, chinese: String) {
        #expect(Strings.refusal(english, language: "zh-CN") == chinese)
        #expect(Strings.refusal(english, language: "en") == english)
    }

    /// A message with no pattern (an operator's error) is shown as it is, not half-translated.
    @Test func anUnknownMessageIsShownAsItIs() {
        let message = "the log holds changes no block covers: run 'ticketmesh audit --verify'"
        #expect(Strings.refusal(message, language: "zh-CN") == message)
    }
}
