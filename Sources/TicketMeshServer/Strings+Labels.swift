import TicketMeshDomain

/// The words for stored values a person reads (issue 16 item 4): states, urgencies, channels,
/// roles, SLA clocks and their statuses, log entry kinds, customer levels, in each language.
///
/// Stored values stay the English identifiers of the replicated data and the API; only pages
/// show these words. A value with no word here is shown as stored (request-type paths, which are
/// data).
extension Strings {
    /// What kind of value a label names: the same identifier may mean different things.
    enum Vocabulary: String, CaseIterable {
        case state, urgency, channel, role, clock, clockStatus, entryKind, level, registration, reportKind
    }

    /// The page word for the stored `value` of `vocabulary` in `language`; the value itself when it has none.
    static func label(_ vocabulary: Vocabulary, _ value: String, language: String) -> String {
        (language == "en" ? labelsEn : labelsZh)[vocabulary]?[value] ?? value
    }

    /// The stored values of each vocabulary that must have a word in every language (the test of
    /// `PageFormatTests` checks it, and the browser scan looks for the raw values on zh-CN pages).
    static let enumValues: [Vocabulary: [String]] = [
        .state: TicketState.allCases.map(\.rawValue), .urgency: Urgency.allCases.map(\.rawValue),
        .channel: Channel.allCases.map(\.rawValue), .role: Role.allCases.map(\.rawValue),
        .clock: SLAClock.Kind.allCases.map(\.rawValue), .clockStatus: SLAClock.Status.allCases.map(\.rawValue),
        .entryKind: Entry.Kind.allCases.map(\.rawValue), .registration: ["met", "breached"], .level: Customer.levels,
        .reportKind: ReportKind.allCases.map(\.rawValue),
    ]

    static let labelsZh: [Vocabulary: [String: String]] = [
        .state: [
            "new": "新建", "acknowledged": "已受理", "in-progress": "处理中", "pending-customer": "待客户回复",
            "escalated": "已升级", "resolved": "已解决", "reopened": "已重开", "closed": "已关闭",
        ],
        .urgency: ["urgent": "紧急", "important": "重要", "normal": "一般"],
        .channel: [
            "phone": "电话", "chat": "在线客服", "email": "邮件", "social": "社交媒体", "app": "应用", "web": "网站",
            "walk-in": "到店",
        ],
        .role: [
            "agent": "坐席", "specialist": "专员", "supervisor": "主管", "manager": "经理", "analyst": "分析员",
            "admin": "管理员",
        ],
        .clock: [
            "first-response": "首次响应", "progress-update": "进度更新", "escalate-complex": "复杂问题升级",
            "acceptance": "接单确认", "resolution": "解决", "severe-plan": "重大问题方案", "reopen-plan": "重开方案",
            "follow-up": "回访",
        ],
        .clockStatus: ["met": "已达成", "on-track": "正常", "at-risk": "即将超时", "breached": "已超时", "paused": "已暂停"],
        .entryKind: ["note": "内部备注", "reply": "回复", "event": "事件", "rating": "评价", "customer": "客户来信"],
        .level: ["vip": "VIP", "normal": "普通", "potential": "潜在"],
        .registration: ["met": "按时", "breached": "超时"],
        .reportKind: ["weekly": "周报", "monthly": "月报", "quarterly": "季报"],
    ]

    static let labelsEn: [Vocabulary: [String: String]] = [
        .state: [
            "new": "New", "acknowledged": "Acknowledged", "in-progress": "In progress",
            "pending-customer": "Waiting for customer", "escalated": "Escalated", "resolved": "Resolved",
            "reopened": "Reopened", "closed": "Closed",
        ],
        .urgency: ["urgent": "Urgent", "important": "Important", "normal": "Normal"],
        .channel: [
            "phone": "Phone", "chat": "Chat", "email": "Email", "social": "Social media", "app": "App", "web": "Web",
            "walk-in": "Walk-in",
        ],
        .role: [
            "agent": "Agent", "specialist": "Specialist", "supervisor": "Supervisor", "manager": "Manager",
            "analyst": "Analyst", "admin": "Admin",
        ],
        .clock: [
            "first-response": "First response", "progress-update": "Progress update",
            "escalate-complex": "Escalate complex case", "acceptance": "Acceptance", "resolution": "Resolution",
            "severe-plan": "Severe-case plan", "reopen-plan": "Reopen plan", "follow-up": "Follow-up",
        ],
        .clockStatus: ["met": "Met", "on-track": "On track", "at-risk": "At risk", "breached": "Breached", "paused": "Paused"],
        .entryKind: ["note": "Note", "reply": "Reply", "event": "Event", "rating": "Rating", "customer": "Customer mail"],
        .level: ["vip": "VIP", "normal": "Normal", "potential": "Potential"],
        .registration: ["met": "on time", "breached": "late"],
        .reportKind: ["weekly": "Weekly", "monthly": "Monthly", "quarterly": "Quarterly"],
    ]

    /// A remaining time as a person reads it: "3 天 4 小时" / "3 d 4 h" ahead, "超时 27 天 5 小时" /
    /// "27 d 5 h overdue" past due; days and hours from a day on, hours and minutes from an hour, else minutes.
    static func duration(_ millis: Int64, language: String) -> String {
        var text = ""
        duration(millis, language: language) { text += $0 }
        return text
    }

    /// `duration` as pieces of text handed to `write` in order (digits and unit words, nothing to
    /// escape): the queue page writes one per row straight into the page.
    static func duration(_ millis: Int64, language: String, _ write: (String) -> Void) {
        let minutes = abs(millis) / 60_000
        let en = language == "en"
        let (first, firstUnit, second, secondUnit): (Int64, String, Int64, String) =
            if minutes >= 24 * 60 {
                (minutes / (24 * 60), en ? "d" : "天", minutes % (24 * 60) / 60, en ? "h" : "小时")
            } else if minutes >= 60 {
                (minutes / 60, en ? "h" : "小时", minutes % 60, en ? "min" : "分")
            } else {
                (minutes, en ? "min" : "分", 0, "")
            }
        if millis < 0, !en { write("超时 ") }
        write(String(first))
        write(" ")
        write(firstUnit)
        // "27 d 0 h" reads as "27 d".
        if second > 0 {
            write(" ")
            write(String(second))
            write(" ")
            write(secondUnit)
        }
        if millis < 0, en { write(" overdue") }
    }
}
