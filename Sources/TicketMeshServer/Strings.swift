/// The UI's words in each language: zh-CN (default) and en.
enum Strings {
    static let languages = ["zh-CN", "en"]

    /// The table for `language`, falling back to zh-CN.
    static func table(_ language: String) -> [String: String] {
        language == "en" ? allEn : allZh
    }

    /// Every table of a language merged once: the general words, then each feature's own
    /// (Strings+Live.swift, Strings+Queue.swift, Strings+SLA.swift); on a shared key the earlier table wins.
    static let allEn = [liveEn, queueEn, slaEn].reduce(en) { all, feature in all.merging(feature) { general, _ in general } }
    static let allZh = [liveZh, queueZh, slaZh].reduce(zh) { all, feature in all.merging(feature) { general, _ in general } }

    static let en: [String: String] = [
        "app": "TicketMesh", "login": "Log in", "logout": "Log out", "user": "User name", "password": "Password",
        "queue": "Queue", "newTicket": "New ticket", "customers": "Customers", "kb": "Knowledge base", "site": "Site",
        "number": "Number", "summary": "Summary", "state": "State", "urgency": "Urgency", "assignee": "Assignee", "department": "Department",
        "due": "Next due", "breached": "Breached", "atRisk": "At risk", "onTrack": "On track",
        "noClock": "No running clock", "more": "More",
        "customer": "Customer", "channel": "Channel", "type": "Type", "details": "Details", "create": "Create",
        "progress": "Progress log", "reply": "Reply to customer", "note": "Internal note", "send": "Send", "add": "Add",
        "escalate": "Escalate", "tier": "Tier", "reason": "Reason", "resolve": "Resolve", "result": "Result",
        "rate": "Rate", "score": "Score (1–5)", "comment": "Comment", "close": "Close", "reopen": "Reopen",
        "sla": "SLA clocks", "clock": "Clock", "status": "Status", "dueAt": "Due", "remaining": "Remaining",
        "conflicts": "Conflicts to review", "noConflicts": "No conflicts", "field": "Field", "winner": "Kept value",
        "loser": "Losing value", "search": "Search", "hits": "Used", "category": "Category", "vector": "Version vector",
        "forks": "Forks", "forksHelp": "Blocks refused because another block of the same site holds their place (a restored backup or a copied directory); the earlier one is kept everywhere, the site re-issues its own lost work.",
        "refused": "Refused", "kept": "Kept", "aliases": "Also numbered",
        "digest": "Digest", "changes": "Changes", "tickets": "Tickets", "name": "Name", "phone": "Phone", "reveal": "Show in clear (recorded)",
        "email": "Email", "level": "Level", "empty": "Nothing here", "language": "中文", "otherLang": "zh-CN",
        "start": "Start work", "contact": "Contact person", "noResults": "No articles found", "origin": "Origin", "reports": "Reports", "value": "Value", "peers": "Sync peers", "peer": "Peer", "lastSync": "Last sync", "lag": "Changes behind", "lastError": "Last error", "noPeers": "No sync yet (runs under 'ticketmesh serve')",
        "seq": "Highest seq", "actions": "Actions", "registered": "Registered (min after receipt / target)",
        "automation": "Automation", "lastRun": "Last run", "nextRun": "Next run", "escalationsMade": "Breach escalations",
        "notificationsSent": "Notifications", "careTasksRaised": "Care tasks raised", "autoClosed": "Tickets auto-closed",
        "runErrors": "Errors", "noRun": "No automation run yet (runs under <code>ticketmesh serve</code> and <code>ticketmesh web</code>, see <code>--sweep-interval</code>)",
        "autoCloseDays": "Auto-close after (days, 0 = off)", "allRuns": "All runs",
    ]

    static let zh: [String: String] = [
        "app": "TicketMesh 工单", "login": "登录", "logout": "退出", "user": "用户名", "password": "密码",
        "queue": "工单队列", "newTicket": "新建工单", "customers": "客户", "kb": "知识库", "site": "站点",
        "number": "编号", "summary": "摘要", "state": "状态", "urgency": "紧急程度", "assignee": "处理人", "department": "部门",
        "due": "最近到期", "breached": "已超时", "atRisk": "即将超时", "onTrack": "正常", "noClock": "无计时", "more": "更多",
        "customer": "客户", "channel": "渠道", "type": "类型", "details": "详情", "create": "创建",
        "progress": "处理记录", "reply": "回复客户", "note": "内部备注", "send": "发送", "add": "添加",
        "escalate": "升级", "tier": "层级", "reason": "原因", "resolve": "解决", "result": "处理结果",
        "rate": "评价", "score": "评分（1–5）", "comment": "评语", "close": "关闭", "reopen": "重新打开",
        "sla": "SLA 计时", "clock": "计时项", "status": "状态", "dueAt": "到期", "remaining": "剩余",
        "conflicts": "待审核冲突", "noConflicts": "无冲突", "field": "字段", "winner": "保留值",
        "loser": "落败值", "search": "搜索", "hits": "使用次数", "category": "分类", "vector": "版本向量",
        "forks": "分叉", "forksHelp": "同一站点的另一个区块已占据其位置而被拒收的区块（恢复的备份或复制的目录）；各站点都保留较早的那个，该站点会重新提交自己丢失的工作。",
        "refused": "已拒收", "kept": "已保留", "aliases": "曾用编号",
        "digest": "摘要值", "changes": "变更数", "tickets": "工单数", "name": "名称", "phone": "电话", "reveal": "显示完整信息（将记录）",
        "email": "邮箱", "level": "等级", "empty": "暂无内容", "language": "English", "otherLang": "en",
        "start": "开始处理", "contact": "联系人", "noResults": "未找到文章", "origin": "来源站点", "reports": "报表", "value": "数值", "peers": "同步对端", "peer": "对端", "lastSync": "最近同步", "lag": "落后变更数", "lastError": "最近错误", "noPeers": "尚未同步（由 ticketmesh serve 运行）",
        "seq": "最高序号", "actions": "操作", "registered": "登记（收到后分钟 / 目标）",
        "automation": "自动化", "lastRun": "上次运行", "nextRun": "下次运行", "escalationsMade": "超时升级",
        "notificationsSent": "通知", "careTasksRaised": "新增关怀任务", "autoClosed": "自动关闭的工单",
        "runErrors": "错误", "noRun": "尚未运行自动化（由 <code>ticketmesh serve</code> 和 <code>ticketmesh web</code> 运行，见 <code>--sweep-interval</code>）",
        "autoCloseDays": "自动关闭期限（天，0 = 关闭）", "allRuns": "累计运行",
    ]
}
