/// The words of the live pages (presence, stale replies, canned answers) and of the admin pages,
/// kept apart from `Strings.en`/`Strings.zh` so each feature adds its own; `Strings.table` merges them.
extension Strings {
    static let liveEn: [String: String] = [
        "viewing": "Also viewing", "typing": "typing a reply…", "liveChanged": "This ticket changed while you were writing: the log above is current; sending asks you to confirm.",
        "liveOff": "Live updates paused (reconnecting)",
        "staleTitle": "The ticket changed since you opened it",
        "staleHelp": "Someone else wrote to this ticket after you opened it. Read what changed, then send your text anyway or go back.",
        "staleFieldsOnly": "Ticket fields changed (no new entries).", "staleConfirm": "Send anyway", "staleCancel": "Back to the ticket",
        "canned": "Canned answer from the knowledge base", "cannedSearch": "Find", "cannedInsert": "Insert",
        "cannedNone": "No article found", "cannedUsed": "Inserted; counted as a use",
        "admin": "Admin", "adminConflicts": "Conflict review", "adminTypes": "Request types",
        "path": "Path", "label": "Label", "typeActive": "Active", "typeRetired": "Retired", "save": "Save",
        "conflictsHelp": "Concurrent writes at two sites: last-writer-wins kept one. Keep it, restore the other, or write a new value.",
        "keepWinner": "Keep this value", "keepLoser": "Restore this value", "newValue": "Or a new value", "useValue": "Use it",
        "adminUsers": "Users and roles", "role": "Role", "userInactive": "Inactive",
        "passwordCLI": "Passwords are set with 'ticketmesh user password NAME' (never through the web).",
    ]

    static let liveZh: [String: String] = [
        "viewing": "同时在看", "typing": "正在输入回复…", "liveChanged": "您输入期间此工单有更新：上方记录已是最新，发送时将请您确认。",
        "liveOff": "实时更新已暂停（正在重连）",
        "staleTitle": "您打开后此工单已有变化",
        "staleHelp": "在您打开此工单后，其他人写入了新内容。请先阅读变化，再决定仍然发送或返回。",
        "staleFieldsOnly": "工单字段有变化（无新记录）。", "staleConfirm": "仍然发送", "staleCancel": "返回工单",
        "canned": "知识库标准答案", "cannedSearch": "查找", "cannedInsert": "插入",
        "cannedNone": "未找到文章", "cannedUsed": "已插入，并计为一次使用",
        "admin": "管理", "adminConflicts": "冲突审核", "adminTypes": "请求类型",
        "path": "路径", "label": "名称", "typeActive": "启用", "typeRetired": "已停用", "save": "保存",
        "conflictsHelp": "两个站点并发写入同一字段：按“最后写入者胜”保留了其中一个。可保留它、恢复另一个，或写入新值。",
        "keepWinner": "保留此值", "keepLoser": "恢复此值", "newValue": "或输入新值", "useValue": "使用",
        "adminUsers": "用户与角色", "role": "角色", "userInactive": "已停用",
        "passwordCLI": "密码请用 'ticketmesh user password 用户名' 设置（不经网页）。",
    ]
}
