/// The report page's figure names in Chinese (issue 16 item 4); the English page shows the
/// report's own names, which the CSV and JSON exports keep too.
extension Strings {
    static let reportWordsZh: [String: String] = [
        // Sections
        "period": "报告期", "summary": "概览", "category": "分类", "type": "类型", "satisfaction": "满意度", "sla": "SLA",
        "exceptions": "服务异常", "agent": "坐席", "department": "部门", "bottleneck": "瓶颈", "hot-issue": "热点问题",
        "dimension": "评价维度", "comment": "评语", "target": "目标",
        // Metrics
        "from": "起", "to": "止", "time-zone": "时区", "site": "站点", "sla-policy": "SLA 策略", "tickets": "工单数",
        "registration-target-minutes": "登记目标（分钟）", "registered-on-time": "按时登记", "registered-late": "超时登记",
        "registered-on-time-percent": "按时登记率（%）", "average-registration-minutes": "平均登记用时（分钟）",
        "average-first-response-minutes": "平均首次响应（分钟）", "average-handling-hours": "平均处理时长（小时）",
        "resolved": "已解决", "resolution-rate-percent": "解决率（%）", "first-contact-resolved": "首次解决",
        "first-contact-resolution-rate-percent": "首次解决率（%）", "satisfaction-average": "平均满意度", "rated": "已评价",
        "complaints": "投诉数", "complaint-rate-percent": "投诉率（%）", "repeat-complaints": "重复投诉",
        "repeat-complaint-rate-percent": "重复投诉率（%）", "sla-compliance-percent": "SLA 达标率（%）", "count": "数量",
        "percent": "占比（%）", "target-minutes": "目标（分钟）", "met": "已达成", "breached": "已超时", "running": "计时中",
        "compliance-percent": "达标率（%）", "percent-of-tickets": "占工单（%）", "average-satisfaction": "平均满意度",
        "cross-department-tickets": "跨部门工单", "cross-department-average-handling-hours": "跨部门平均处理时长（小时）",
        "statement": "结论", "percent-of-complaints": "占投诉（%）", "example": "示例", "average": "平均", "goal": "目标值",
        "actual": "实际值", "previous": "上期", "yes": "是", "no": "否",
    ]

    /// One cell of the report page's figure table in `language`: report words, then enum values (SLA levels).
    static func reportWord(_ text: String, language: String) -> String {
        guard language != "en" else { return text }
        if let word = reportWordsZh[text] { return word }
        if let urgency = labelsZh[.urgency]?[text] { return urgency }
        return text
    }
}
