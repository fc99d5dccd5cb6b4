/// The queue page's words (filters, search, saved views, bulk actions; issue 16).
extension Strings {
    static let queueEn: [String: String] = [
        "filters": "Filters", "filter": "Filter", "clear": "Clear", "any": "Any",
        "clockFilter": "SLA", "attention": "Breached or at risk", "searchHint": "Number, customer, summary, notes…",
        "views": "My views", "noViews": "No saved views", "saveView": "Save as view", "viewName": "View name",
        "delete": "Delete", "bulk": "With the selected tickets", "bulkAssign": "Assign to", "bulkState": "Set state",
        "bulkClose": "Close", "apply": "Apply", "bulkResults": "Bulk action results", "done": "Done",
        "failed": "Failed", "backToQueue": "Back to the queue", "selectAll": "Select all", "ticket": "Ticket",
        "sortAscending": "sorted ascending", "sortDescending": "sorted descending", "left": "Time left",
    ]

    static let queueZh: [String: String] = [
        "filters": "筛选", "filter": "筛选", "clear": "清除", "any": "全部",
        "clockFilter": "SLA", "attention": "已超时或即将超时", "searchHint": "编号、客户、摘要、备注…",
        "views": "我的视图", "noViews": "暂无保存的视图", "saveView": "保存为视图", "viewName": "视图名称",
        "delete": "删除", "bulk": "对所选工单", "bulkAssign": "指派给", "bulkState": "设置状态",
        "bulkClose": "关闭", "apply": "执行", "bulkResults": "批量操作结果", "done": "成功",
        "failed": "失败", "backToQueue": "返回工单队列", "selectAll": "全选", "ticket": "工单",
        "sortAscending": "升序", "sortDescending": "降序", "left": "剩余时间",
    ]
}
