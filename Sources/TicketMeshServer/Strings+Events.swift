import Foundation

/// The progress log's event entries in the page's language (issue 16 item 4).
///
/// The store writes events as English sentences (`"closed"`, `"escalated to tier 2: …"`), which
/// replicate as they are; the Chinese page shows them in Chinese. What follows a sentence's fixed
/// part (a reason, a result, a name) is the user's text and is shown as written.
extension Strings {
    /// Fixed events, whole.
    static let eventsZh: [String: String] = [
        "closed": "已关闭", "work started": "开始处理", "waiting for the customer": "等待客户回复", "case approved": "案例已批准",
        // Mail ingest (ReplicaStore+Mail.swift).
        "reopened: the customer replied by mail": "客户邮件回复后已重开", "in progress: the customer replied by mail": "客户已邮件回复，继续处理",
    ]

    /// Events that are a fixed part and the user's text, by prefix; the first match wins.
    static let eventPrefixesZh: [(String, String)] = [
        ("reopened: customer rated ", "客户评分后重新打开："), ("resolved: ", "已解决："), ("reopened: ", "已重开："),
        ("plan: ", "处理方案："), ("follow-up: ", "回访："), ("case approved: ", "案例已批准："),
        // The outbox drain (ReplicaStore+MailOutbox.swift): "mail sent: receipt to ADDRESS, SUBJECT (Message-ID <…>)".
        ("mail sent: receipt to ", "已发送受理回执至 "), ("mail sent: reply to ", "已发送回复邮件至 "),
        ("mail sent: resolution notice to ", "已发送解决通知至 "),
    ]

    /// Clauses of an assignment event (`assigned to li, tier 2, department 物流`).
    static let assignmentClausesZh: [(String, String)] = [
        ("tier ", "第 %@ 层"), ("department ", "部门 %@"), ("lead ", "牵头部门 %@"), ("with ", "协同 %@"),
    ]

    /// `body` of an event entry as the page in `language` shows it.
    static func event(_ body: String, language: String) -> String {
        guard language != "en" else { return body }
        if let whole = eventsZh[body] { return whole }
        for (prefix, word) in eventPrefixesZh where body.hasPrefix(prefix) {
            return word + body.dropFirst(prefix.count)
        }
        if body.hasPrefix("escalated to tier "), let colon = body.firstIndex(of: ":") {
            let tier = body[body.index(body.startIndex, offsetBy: "escalated to tier ".count)..<colon]
            return "升级到第 \(tier) 层：" + body[body.index(after: colon)...].drop { $0 == " " }
        }
        if body.hasPrefix("accepted at tier "), let comma = body.range(of: ", ETA ") {
            let tier = body[body.index(body.startIndex, offsetBy: "accepted at tier ".count)..<comma.lowerBound]
            return "第 \(tier) 层已接单，预计 \(body[comma.upperBound...])"
        }
        if body.hasPrefix("assigned to ") {
            let clauses = body.dropFirst("assigned to ".count).components(separatedBy: ", ")
            var parts = ["指派给 " + (clauses.first ?? "")]
            var index = 1
            while index < clauses.count {
                let clause = clauses[index]
                if let match = assignmentClausesZh.first(where: { clause.hasPrefix($0.0) }) {
                    let (prefix, pattern) = match
                    // "with a, b" lists collaborators with the same separator as the clauses.
                    var value = String(clause.dropFirst(prefix.count))
                    if prefix == "with " {
                        value = ([value] + clauses[(index + 1)...]).joined(separator: "、")
                        index = clauses.count
                    }
                    parts.append(pattern.replacingOccurrences(of: "%@", with: value))
                } else {
                    parts.append(clause)
                }
                index += 1
            }
            return parts.joined(separator: "，")
        }
        if body.hasPrefix("service exception grade "), let colon = body.range(of: "): ") {
            let head = body[body.index(body.startIndex, offsetBy: "service exception grade ".count)..<colon.lowerBound]
            let pieces = head.split(separator: " (", maxSplits: 1)
            let grade = pieces.first.map(String.init) ?? ""
            let category = pieces.count > 1 ? String(pieces[1]) : ""
            return "服务异常 \(grade) 级（\(category)）：" + body[colon.upperBound...]
        }
        // "mail to ADDRESS refused by the MTA (attempt N, TIME): ERROR — retried automatically"
        if body.hasPrefix("mail to "), let refused = body.range(of: " refused by the MTA (attempt "),
            let close = body.range(of: "): ", range: refused.upperBound..<body.endIndex)
        {
            let address = body[body.index(body.startIndex, offsetBy: "mail to ".count)..<refused.lowerBound]
            let attempt = body[refused.upperBound..<close.lowerBound].replacingOccurrences(of: ", ", with: " 次，")
            var error = body[close.upperBound...]
            let retried = " — retried automatically"
            if error.hasSuffix(retried) { error = error.dropLast(retried.count) }
            return "发往 \(address) 的邮件被 MTA 拒收（第 \(attempt)）：\(error) — 将自动重试"
        }
        return body
    }
}
