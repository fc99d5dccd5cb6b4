import Foundation
import TicketMeshDomain

/// Refusals in the page's language (issue 16 item 4): the message a rule gives ("invalid accept
/// 'soon': must be a duration like 90m …") as a zh-CN page shows it.
///
/// The store and the domain speak English: the CLI, the API and the logs show their messages as
/// they are, and a message names the field and the rule in one sentence built where the rule is
/// checked. Pages translate the finished sentence by pattern here, so the rule stays written once
/// beside the code that checks it, and presentation stays with the interface. A pattern's slots
/// say what they hold: a value is kept as typed, a field, state, role or action gets its word, and
/// a rule is translated by the rule patterns. `RefusalTranslationTests` reads every rule and
/// refusal the store, the domain and the server write and fails on one with no pattern here.
/// A message with no pattern (an operator's error: a broken log, a missing identity) is shown in
/// English rather than guessed at.
extension Strings {
    /// `message` in `language`; unchanged in English, or when no pattern matches.
    static func refusal(_ message: String, language: String) -> String {
        guard language != "en" else { return message }
        return Refusals.zh.translate(message) ?? message
    }
}

/// A translation by patterns: the English sentence with typed slots, and the sentence to show.
struct Refusals: Sendable {
    /// What a slot of a pattern holds, and so how it is shown.
    enum Slot: String, Sendable {
        /// A value as the user gave it, a ticket number, a list of accepted values: shown as it is.
        case value
        /// A field name (`Refusals.fieldsZh`).
        case field
        /// A rule: translated by the rule patterns.
        case rule
        /// A ticket state, a role, a comma-separated list of roles, or an action (`Permission`).
        case state, role, roles, action
        /// A comma-separated list of ticket states.
        case states
        /// A kind of record ("ticket", "SLA policy").
        case kind
    }

    struct Pattern: Sendable {
        let regex: NSRegularExpression
        let slots: [Slot]
        /// The sentence to show, with `{1}`, `{2}`, … for the slots in order.
        let template: String

        /// `english` with slots written `{value}`, `{field}`, `{rule}` …
        init(_ english: String, _ template: String) {
            var pattern = "^"
            var slots: [Slot] = []
            var rest = Substring(english)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}"),
                let slot = Slot(rawValue: String(rest[rest.index(after: open)..<close]))
            {
                pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + "(.*?)"
                slots.append(slot)
                rest = rest[rest.index(after: close)...]
            }
            pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
            // The patterns are this file's constants: a bad one is a programming error, caught by the tests.
            regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
            self.slots = slots
            self.template = template
        }

        func match(_ text: String) -> [String]? {
            let range = NSRange(text.startIndex..., in: text)
            guard let found = regex.firstMatch(in: text, range: range) else { return nil }
            return (1..<found.numberOfRanges).map { Range(found.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    let messages: [Pattern]
    let rules: [Pattern]

    /// The whole sentence, or nil if no message pattern matches it.
    func translate(_ message: String) -> String? {
        apply(messages, to: message)
    }

    /// A rule on its own (the part after "invalid FIELD 'VALUE': "), or nil if no rule pattern matches.
    func translateRule(_ rule: String) -> String? {
        apply(rules, to: rule)
    }

    private func apply(_ patterns: [Pattern], to text: String) -> String? {
        for pattern in patterns {
            guard let parts = pattern.match(text) else { continue }
            var out = pattern.template
            for (index, (slot, part)) in zip(pattern.slots, parts).enumerated() {
                out = out.replacingOccurrences(of: "{\(index + 1)}", with: show(part, as: slot))
            }
            return out
        }
        return nil
    }

    private func show(_ part: String, as slot: Slot) -> String {
        switch slot {
        case .value: part
        case .field: Self.fieldsZh[part] ?? part
        case .rule: translateRule(part) ?? part
        case .state: Strings.label(.state, part, language: "zh-CN")
        case .states:
            part == "none (final state)"
                ? "无（终止状态）" : part.components(separatedBy: ", ").map { Strings.label(.state, $0, language: "zh-CN") }.joined(separator: "、")
        case .role: Strings.label(.role, part, language: "zh-CN")
        case .roles: part.components(separatedBy: ", ").map { Strings.label(.role, $0, language: "zh-CN") }.joined(separator: "、")
        case .action: Permission(rawValue: part).flatMap { Self.actionsZh[$0] } ?? Self.verbsZh[part] ?? part
        case .kind: Self.kindsZh[part] ?? part
        }
    }
}

extension Refusals {
    static let zh = Refusals(messages: zhMessages.map(Pattern.init), rules: zhRules.map(Pattern.init))

    /// Whole refusals. The first that matches wins, so a specific sentence comes before a general one.
    static let zhMessages: [(String, String)] = [
        // Workflow (ReplicaStore+Workflow, +Retention).
        ("cannot accept ticket {value} at tier {value}: acceptance is for tier 2 or 3 assignments", "不能在第 {2} 层接受工单 {1}：只有第 2、3 层的分派需要接受"),
        ("cannot approve ticket {value} in state '{state}': only resolved or closed cases are approved", "工单 {1} 处于「{2}」状态，不能审批：只审批已解决或已关闭的工单"),
        ("cannot archive ticket {value} in state '{state}': only closed tickets are archived", "工单 {1} 处于「{2}」状态，不能归档：只有已关闭的工单才能归档"),
        ("cannot escalate ticket {value} to tier {value}: it is escalated at tier {value}; the tier must be above it", "不能把工单 {1} 升级到第 {2} 层：它已在第 {3} 层，只能升到更高层"),
        ("cannot follow up ticket {value} in state '{state}': follow-up comes after resolution", "工单 {1} 处于「{2}」状态，不能回访：回访在解决之后"),
        ("cannot purge ticket {value}: closed {value}, still within the retention of {value} days", "不能清除工单 {1}：关闭于 {2}，仍在 {3} 天的保留期内"),
        ("cannot purge ticket {value}: only archived tickets are purged", "不能清除工单 {1}：只有已归档的工单才能清除"),
        ("cannot rate ticket {value} in state '{state}': ratings are taken once a ticket is resolved or closed", "工单 {1} 处于「{2}」状态，不能评价：工单解决或关闭后才能评价"),
        ("cannot {action} ticket {value} in state '{state}': the ticket is not open", "工单 {2} 处于「{3}」状态，不能{1}：工单未在处理中"),
        ("ticket {value} is archived: archived tickets are read-only", "工单 {1} 已归档：已归档的工单只读"),
        ("ticket {value} is closed: closed tickets are read-only", "工单 {1} 已关闭：已关闭的工单只读"),
        ("illegal transition of state from '{state}' to '{state}': allowed from '{state}': {states}", "状态不能从「{1}」变为「{2}」：「{3}」只能变为 {4}"),
        ("invalid expected-by '{value}': must not be before the time ticket {value} was received ({value})", "预计完成时间「{1}」无效：不能早于工单 {2} 的受理时间（{3}）"),
        ("stale expectedVersion '{value}': ticket {value} changed since it was read (now version '{value}'): read it again, or send the entry again with expectedVersion '{value}' to add it anyway",
            "工单 {2} 在打开后已有变化（版本「{1}」→「{3}」）：请重新查看，或确认后再次提交"),
        // Customers, users, views, request types.
        ("customer id '{value}' already exists: choose another id", "客户编号「{1}」已存在：请换一个编号"),
        ("user '{value}' is the last active admin: add another admin first", "用户「{1}」是最后一位在职管理员：请先添加另一位管理员"),
        ("unknown request-type category '{value}' of '{value}': add the category first (categories: {value})", "「{2}」的请求类型分类「{1}」不存在：请先添加该分类（现有分类：{3}）"),
        // Rights (ReplicaStore+Users, +Views, SiteRights).
        ("forbidden: user '{value}' has role {role} and may not {action}: needs role {roles}", "无权操作：用户「{1}」的角色是{2}，不能{3}：需要角色 {4}"),
        ("forbidden: user '{value}' is not an active user of this site and may not {action}: ask an admin to run 'ticketmesh user add {value} --role ROLE'", "无权操作：用户「{1}」不是本站点的在职用户，不能{2}：请管理员添加该用户"),
        ("forbidden: user '{value}' may not change a view of user '{value}': a user edits only their own views", "无权操作：用户「{1}」不能修改用户「{2}」的视图：只能修改自己的视图"),
        ("forbidden: no acting user to {action}: pass --as USER or set TICKETMESH_USER (this site has users)", "无权操作：没有操作用户，不能{1}：请用 --as USER 或 TICKETMESH_USER 指定用户（本站点已有用户）"),
        ("forbidden: site has no users yet: the first user must be an admin (user add {value} --role admin)", "无权操作：本站点还没有用户：第一位用户必须是管理员（user add {1} --role admin）"),
        ("forbidden: site {value} is a branch site and may not write {value} records: {value}", "无权操作：站点 {1} 是分支站点，不能写入 {2} 记录：{3}"),
        ("forbidden: this record revokes this site's own certificate (serial {value}): import it at another site, which carries it to every site", "无权操作：这条记录吊销的是本站点自己的证书（序列号 {1}）：请在另一个站点导入，它会传到所有站点"),
        ("forbidden: this site's certificate (serial {value}) was revoked by the CA at {value}: ask the CA for a new certificate and run 'ticketmesh site enroll --tls DIR'", "无权操作：本站点的证书（序列号 {1}）已于 {2} 被 CA 吊销：请向 CA 申请新证书并运行 ticketmesh site enroll --tls DIR"),
        ("forbidden: this site's own certificate is not valid for the organisation now ({value}): ask the CA for a new one ('ticketmesh certs site') and run 'ticketmesh site enroll --tls DIR'", "无权操作：本站点的证书目前对本组织无效（{1}）：请向 CA 申请新证书（ticketmesh certs site）并运行 ticketmesh site enroll --tls DIR"),
        ("forbidden: this login form did not come from this site's login page (its hidden field '{value}' does not match the '{value}' cookie); nobody was logged in: reload the login page and try again", "无权操作：此登录表单不是来自本站点的登录页；未登录任何用户：请重新打开登录页再试"),
        ("forbidden: this request came with the session cookie but without this session's CSRF token (form field '{value}' or header 'X-CSRF-Token'), as a page of another site would send it; nothing was changed: reload the page and try again", "无权操作：此请求带有会话 Cookie，却没有本会话的 CSRF 令牌，像是其他网站的页面发出的；未做任何修改：请刷新页面再试"),
        // Login and sessions (Backend, LoginThrottle, Passwords).
        ("unauthorized: wrong user name or password", "未登录：用户名或密码错误"),
        ("unauthorized: no token: log in with POST /api/login and send 'Authorization: Bearer TOKEN'", "未登录：缺少令牌：请先登录"),
        ("unauthorized: no user of this site has a password yet: run 'ticketmesh user add NAME --role admin' and 'ticketmesh user password NAME'",
            "未登录：本站点还没有设置密码的用户：请运行 ticketmesh user add NAME --role admin 和 ticketmesh user password NAME"),
        ("unauthorized: the password of user '{value}' was changed after this login: log in again", "未登录：用户「{1}」的密码在此次登录后已修改：请重新登录"),
        ("unauthorized: the token is unknown or expired: log in again", "未登录：会话未知或已过期：请重新登录"),
        ("unauthorized: user '{value}' is no longer active", "未登录：用户「{1}」已停用"),
        ("too many failed logins for user '{value}': {value} within {value} minutes; try again in {value} seconds", "用户「{1}」登录失败次数过多：{3} 分钟内 {2} 次；请 {4} 秒后再试"),
        ("too many failed logins for address {value}: {value} within {value} minutes; try again in {value} seconds", "地址 {1} 登录失败次数过多：{3} 分钟内 {2} 次；请 {4} 秒后再试"),
        // API lookups (API+SLA, API+Admin, Backend).
        ("unknown SLA policy '{value}': GET /api/sla/policies lists them", "SLA 策略「{1}」不存在"),
        ("unknown conflict '{value}': ids are SITE:SEQ, as GET /api/conflicts lists them", "冲突「{1}」不存在：编号形如 站点:序号"),
        ("unknown timeZone '{value}': this machine's time zone database has no such zone", "时区「{1}」不存在：本机的时区数据库中没有该时区"),
        ("unknown user '{value}': to add a user, give role (one of {value})", "用户「{1}」不存在：要添加用户，请指定角色（{2} 之一）"),
        ("live updates are off on this server", "本服务器未开启实时更新"),
        ("method {value} is not allowed on {value}: use {value}", "{2} 不接受 {1} 请求：请使用 {3}"),
        ("internal error: see the server log", "内部错误：请查看服务器日志"),
        ("invalid body: must be a JSON object", "请求内容无效：须为 JSON 对象"),
        // The general forms (DomainError.invalidValue, .missing, .notFound).
        ("invalid {field} '{value}': {rule}", "{1}「{2}」无效：{3}"),
        ("invalid {field}: {rule}", "{1}无效：{2}"),
        ("missing {field}: a value is required", "缺少{1}：必须填写"),
        ("missing {field}: {rule}", "缺少{1}：{2}"),
        ("unknown {kind} '{value}': no such {value} on this site", "本站点没有{1}「{2}」"),
    ]

    /// Rules, the part of "invalid FIELD 'VALUE': RULE" that says what a value must be.
    static let zhRules: [(String, String)] = [
        ("a JSON object of the settings to change", "须为要修改的设置组成的 JSON 对象"),
        ("a new resolution target needs a duration, e.g. {value}", "新的解决时限须给出时长，例如 {1}"),
        ("give at least one target, e.g. {value}", "请至少给出一个时限，例如 {1}"),
        ("a state action names the state", "更改状态须指定状态"),
        ("an assign action names the user", "分派须指定用户"),
        ("an IANA time zone such as Asia/Shanghai (or aroundTheClock: true)", "须为 IANA 时区，例如 Asia/Shanghai（或 aroundTheClock: true）"),
        ("users, roles and passwords, SLA policies and calendars, request types, settings (retention, default SLA policy, care thresholds, report targets, auto-close period, mail) and purges are written only at an admin site (a certificate issued with 'ticketmesh certs site --admin')",
            "用户、角色和密码，SLA 策略和日历，请求类型，设置（保留期、默认 SLA 策略、关怀阈值、报表目标、自动关闭期限、邮件）以及清除，只能在管理站点写入（用 ticketmesh certs site --admin 签发的证书）"),
        ("a bulk change sets {value}; close with the close action", "批量修改只能设置 {1}；关闭请用「关闭」操作"),
        ("a business calendar needs working hours on at least one weekday", "工作日历至少要有一天的工作时间"),
        ("a period needs 0 ≤ start < end ≤ 24:00", "时段须满足 0 ≤ 开始 < 结束 ≤ 24:00"),
        ("a saved view belongs to a user: pass --as USER or log in", "保存的视图属于某个用户：请登录"),
        ("a ticket state must be one of {value}", "工单状态必须是以下之一：{1}"),
        ("a word has at most {value} characters", "每个词最多 {1} 个字符"),
        ("at most 500 tickets at once", "一次最多 500 张工单"),
        ("at most {value} words", "最多 {1} 个词"),
        ("days are {value}", "日期写法为 {1}"),
        ("days must be names like mon, mon-fri or sat,sun", "日期须写成 mon、mon-fri 或 sat,sun 这样的形式"),
        ("escalation goes to tier 2 or 3", "只能升级到第 2 或第 3 层"),
        ("give a new label or a new active state for '{value}'", "请为「{1}」给出新名称或新的启用状态"),
        ("give at least one of --{value}", "请至少给出以下一项：--{1}"),
        ("key must be 1–64 characters", "键须为 1–64 个字符"),
        ("knobs are {value}", "可设置项为 {1}"),
        ("must be 'C' followed by 4–16 characters of A–Z and 0–9", "须为 C 加 4–16 个大写字母或数字"),
        ("must be 'category' or 'category/subtype', each 2–40 of a–z, 0–9 and '-'", "须为「分类」或「分类/子类」，每段 2–40 个小写字母、数字或 -"),
        ("must be 1 (severe), 2 (significant) or 3 (minor)", "须为 1（严重）、2（较大）或 3（一般）"),
        ("must be 1 (typing) or 0 (stopped)", "须为 1（正在输入）或 0（停止）"),
        ("must be 1, 2 or 3", "须为 1、2 或 3"),
        ("must be 1–32 of a–z, 0–9 and '-'", "须为 1–32 个小写字母、数字或 -"),
        ("must be 1–63 of letters, digits, '.', '_', '-', '@'", "须为 1–63 个字母、数字或 . _ - @"),
        ("must be 2–40 of a–z, 0–9 and '-', e.g. {value}", "须为 2–40 个小写字母、数字或 -，例如 {1}"),
        ("must be 2–8 characters of A–Z and 0–9", "须为 2–8 个大写字母或数字"),
        ("must be 5–20 digits, optionally with + - ( ) and spaces", "须为 5–20 位数字，可带 + - ( ) 和空格"),
        ("must be DAYS HH:MM-HH:MM[,HH:MM-HH:MM], e.g. 'mon-fri 09:00-18:00'", "须写成「日期 时:分-时:分」，例如 mon-fri 09:00-18:00"),
        ("must be KIND.LANGUAGE with KIND one of {value} and LANGUAGE one of {value}", "须写成 类型.语言，类型为 {1} 之一，语言为 {2} 之一"),
        ("must be KNOB=VALUE, e.g. first-response.urgent=90m", "须写成 项=值，例如 first-response.urgent=90m"),
        ("must be KNOB=VALUE, e.g. purchase-drop=30", "须写成 项=值，例如 purchase-drop=30"),
        ("must be NAME=1..5 with NAME one of {value}", "须写成 名称=1..5，名称为 {1} 之一"),
        ("must be SITE:SEQ as printed by 'conflicts list'", "须写成 站点:序号"),
        ("must be a comma-separated list of departments", "须为以逗号分隔的部门列表"),
        ("must be a date YYYY-MM-DD", "须为 YYYY-MM-DD 格式的日期"),
        ("must be a duration like 90m, 2h, 3d or 1h30m (at least 1 minute, at most 365d)", "须为 90m、2h、3d 或 1h30m 这样的时长（至少 1 分钟，至多 365 天）"),
        ("must be a duration of 1 minute to 365 days (1–525600 minutes)", "须为 1 分钟到 365 天的时长（1–525600 分钟）"),
        ("must be a number of days from 1 to 365, e.g. 90d", "须为 1 到 365 天，例如 90d"),
        ("must be a number such as 4.5 or a change such as +15% or -10%", "须为 4.5 这样的数，或 +15%、-10% 这样的变化"),
        ("must be a percentage from 1 to 100", "须为 1 到 100 的百分比"),
        ("must be a site code of 2–8 of A–Z, 0–9", "须为 2–8 个大写字母或数字的站点代码"),
        ("must be after --from {value}", "须晚于起始时间 {1}"),
        ("must be an IANA time zone such as Asia/Shanghai", "须为 IANA 时区，例如 Asia/Shanghai"),
        ("must be an IANA time zone such as UTC or Asia/Shanghai", "须为 IANA 时区，例如 UTC 或 Asia/Shanghai"),
        ("must be an ISO 8601 time like 2026-11-28T09:40:00Z or a date like 2026-11-28", "须为 2026-11-28T09:40:00Z 这样的时间或 2026-11-28 这样的日期"),
        ("must be an active request type: {value}", "须为启用中的请求类型：{1}"),
        ("must be an address like name@example.com", "须为 name@example.com 这样的邮箱地址"),
        ("must be an integer from 1 to 100 (0–100 scale)", "须为 1 到 100 的整数（0–100 分制）"),
        ("must be an integer from 1 to 5", "须为 1 到 5 的整数"),
        ("must be at most {value} characters", "最多 {1} 个字符"),
        ("must be at most {value} bytes", "最多 {1} 字节"),
        ("must be at most {value} MiB", "最多 {1} MiB"),
        ("must be at least {value} characters", "至少 {1} 个字符"),
        ("must be from {value} (off) to {value}", "须为 {1}（关闭）到 {2}"),
        ("must be from {value} to {value}", "须为 {1} 到 {2}"),
        ("must be in the future", "须为将来的时间"),
        ("must be one address like support@example.com (no name, no brackets)", "须为一个 support@example.com 这样的地址（不带名字和尖括号）"),
        ("must be one line of at most 100 characters, without control characters", "须为一行，最多 100 个字符，不含控制字符"),
        ("must be one of {value}, optionally with a leading '-' for descending", "须为 {1} 之一，前加 - 表示降序"),
        ("must be one of {value}", "须为以下之一：{1}"),
        ("must be signed by this organisation's CA ({value})", "须由本组织的 CA 签名（{1}）"),
        ("must be signed by this organisation's CA", "须由本组织的 CA 签名"),
        ("must be site codes (2–8 letters A–Z and digits), comma-separated", "须为以逗号分隔的站点代码（2–8 个大写字母或数字）"),
        ("must be true or false", "须为 true 或 false"),
        ("must not be before the time received", "不能早于受理时间"),
        ("must not be in the future", "不能是将来的时间"),
        ("must not be negative", "不能为负数"),
        ("not a profile field; use one of {value}", "不是客户资料字段；请用以下之一：{1}"),
        ("not an updatable field; use one of {value}", "不是可修改的字段；请用以下之一：{1}"),
        ("resolution takes a request type", "解决时限须指定请求类型"),
        ("times must be HH:MM-HH:MM with HH:MM from 00:00 to 24:00", "时间须写成 时:分-时:分，范围 00:00 到 24:00"),
        ("unknown SLA knob", "不是 SLA 设置项"),
        ("unknown knob", "不是设置项"),
        ("{value} needs a level or type, e.g. {value}.urgent", "{1} 须指定紧急程度或类型，例如 {2}.urgent"),
        ("{value} takes a level: urgent, important or normal", "{1} 须指定紧急程度：urgent、important 或 normal"),
        ("invalid urgency 'asap': must be one of urgent, important, normal", "紧急程度「asap」无效：须为 urgent、important、normal 之一"),
        ("e.g. {value}", "例如 {1}"),
    ]

    /// Field names in refusals. A field with no word here is shown by its name.
    static let fieldsZh: [String: String] = [
        "amount": "金额", "at-risk": "即将超时阈值", "category": "分类", "channel": "渠道", "clock": "计时项",
        "collaborators": "协作人", "conflict": "冲突", "customers": "客户", "customer": "客户", "days": "天数",
        "dimension": "维度", "email": "邮箱", "eta": "预计时间", "expected-by": "预计完成时间", "fields": "字段",
        "format": "格式", "from": "起始时间", "from-name": "发件人名称", "grade": "等级", "holiday": "节假日",
        "hours": "工作时间", "id": "编号", "label": "名称", "level": "等级", "metric": "指标",
        "pause-on-pending": "待客户回复时暂停", "phone": "电话", "policy": "策略", "purchase-drop": "购买下降阈值",
        "received-at": "受理时间", "ref": "引用", "report": "报表", "role": "角色", "satisfaction-floor": "满意度下限",
        "score": "评分", "search": "搜索", "senders": "发件人", "setting": "设置", "site": "站点", "sort": "排序",
        "state": "状态", "target": "目标", "template": "模板", "tickets": "工单", "tier": "层级", "time-zone": "时区",
        "timeZone": "时区", "to": "截止时间", "type": "类型", "typing": "输入状态", "urgency": "紧急程度", "user": "用户",
        "value": "值", "weeks": "周数", "window": "时间窗", "summary": "摘要", "details": "详情", "body": "内容",
        "reason": "原因", "result": "处理结果", "comment": "评语", "name": "名称", "department": "部门",
        "assignee": "处理人", "password": "密码", "password hash": "密码散列", "q": "搜索词", "query": "搜索词",
        "title": "标题", "display name": "显示名", "root cause": "根本原因", "evidence": "证据", "compensation": "补偿",
        "description": "描述", "plan": "方案", "note": "备注", "status": "状态", "number": "编号", "body size": "内容大小",
        "revocation record": "吊销记录", "expectedVersion": "预期版本", "path": "路径", "active": "启用",
        "accept": "接单时限", "first-response": "首次响应时限", "update": "进度更新时限",
        "resolution-target": "解决时限", "settings": "设置",
    ]

    /// Record kinds in "unknown KIND 'KEY'".
    static let kindsZh: [String: String] = [
        "SLA policy": "SLA 策略", "article": "知识库文章", "care task": "关怀任务", "conflict": "冲突", "customer": "客户",
        "ticket": "工单", "ticket or customer": "工单或客户", "user": "用户", "view": "视图", "request type": "请求类型",
    ]

    /// Actions a role may or may not take (`Permission`), as "不能…" reads them.
    static let actionsZh: [Permission: String] = [
        .viewTickets: "查看工单", .createTicket: "新建工单", .editTicket: "处理工单", .escalate: "升级工单",
        .accept: "接受分派", .reopen: "重新打开工单", .approve: "审批工单", .recordFeedback: "记录反馈",
        .raiseException: "登记服务异常", .manageCustomers: "管理客户", .manageSLA: "修改 SLA 策略",
        .manageChurnPolicy: "修改流失阈值", .sweepSLA: "升级超时工单", .resolveConflicts: "处理冲突",
        .manageUsers: "管理用户", .manageRequestTypes: "修改请求类型树", .manageKnowledge: "编辑知识库",
        .archive: "归档工单", .purge: "清除工单或修改保留期", .viewReports: "查看报表", .revealContacts: "显示联系方式",
        .readAudit: "查看审计日志", .setReportTargets: "设置报表目标", .seed: "加载示例数据", .saveView: "保存队列视图",
        .manageMail: "修改邮件设置",
    ]

    /// Verbs of "cannot VERB ticket N in state 'S'" (workflow commands).
    static let verbsZh: [String: String] = [
        "reply": "回复", "note": "备注", "escalate": "升级", "resolve": "解决", "close": "关闭", "assign": "分派",
        "start": "开始处理", "acknowledge": "受理", "update": "修改", "accept": "接受", "wait": "等待客户",
        "plan": "制定方案",
    ]
}
