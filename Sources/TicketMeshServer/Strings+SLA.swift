/// The words of the SLA policy and business-calendar pages (WebUI+SLA.swift).
extension Strings {
    static let slaEn: [String: String] = [
        "adminSLA": "SLA policies and calendars", "slaPolicy": "SLA policy", "slaInUse": "in use",
        "slaCalendar": "Business calendar", "slaAroundTheClock": "Around the clock (24×7)", "slaHolidays": "holidays",
        "slaListHelp": "Targets per urgency: first response / progress update every. Every site measures its tickets by the policy in use.",
        "slaNew": "Open or create a policy (name)", "slaOpen": "Open",
        "slaUnsaved": "Not saved yet: this policy starts from the standard targets and exists once one of them is saved.",
        "slaFirstResponse": "First response within", "slaUpdate": "Progress update every",
        "slaAtRisk": "At risk from (% of the target)", "slaPauseOnPending": "Clocks stop while waiting for the customer",
        "slaEscalateComplex": "Complex case reaches tier 2 within", "slaAccept": "Assignment accepted within",
        "slaSeverePlan": "Severe complaint: plan within", "slaSevereUpdate": "Severe complaint: update at least every",
        "slaReopenPlan": "Reopened ticket: new plan within", "slaFollowUp": "Follow-up after resolution within",
        "slaRegistration": "Registered within (from receipt, wall-clock)", "slaResolution": "Resolution within, for",
        "slaResolutionNew": "Add a resolution target (request type, duration)",
        "slaDurationsHelp": "Durations: 90m, 2h, 3d, 1h30m (1 minute to 365 days); a resolution target of 'none' removes it. Only the targets you change are written.",
        "slaTimeZone": "Time zone", "slaHours": "Working hours, one line each (mon-fri 09:00-18:00; 22:00-06:00 runs overnight)",
        "slaHolidaysInput": "Holidays, one date YYYY-MM-DD per line", "slaUse": "Measure every ticket by this policy",
        "yes": "yes", "no": "no",
        "weekday-mon": "Mon", "weekday-tue": "Tue", "weekday-wed": "Wed", "weekday-thu": "Thu", "weekday-fri": "Fri",
        "weekday-sat": "Sat", "weekday-sun": "Sun",
    ]

    static let slaZh: [String: String] = [
        "adminSLA": "SLA 策略与工作日历", "slaPolicy": "SLA 策略", "slaInUse": "使用中",
        "slaCalendar": "工作日历", "slaAroundTheClock": "全天候（24×7）", "slaHolidays": "节假日",
        "slaListHelp": "各紧急程度的时限：首次响应 / 进度更新间隔。各站点都按使用中的策略计时。",
        "slaNew": "打开或新建策略（名称）", "slaOpen": "打开",
        "slaUnsaved": "尚未保存：此策略以标准时限为起点，保存任一项后生效。",
        "slaFirstResponse": "首次响应时限", "slaUpdate": "进度更新间隔",
        "slaAtRisk": "即将超时阈值（时限的 %）", "slaPauseOnPending": "待客户回复时暂停计时",
        "slaEscalateComplex": "复杂问题升至二线时限", "slaAccept": "接单确认时限",
        "slaSeverePlan": "重大投诉：方案时限", "slaSevereUpdate": "重大投诉：更新间隔上限",
        "slaReopenPlan": "重开工单：新方案时限", "slaFollowUp": "解决后回访时限",
        "slaRegistration": "登记时限（自受理起，按自然时间）", "slaResolution": "解决时限：",
        "slaResolutionNew": "新增解决时限（请求类型、时长）",
        "slaDurationsHelp": "时长写法：90m、2h、3d、1h30m（1 分钟至 365 天）；解决时限填 none 即删除。只写入您改动的项。",
        "slaTimeZone": "时区", "slaHours": "工作时间，每行一条（如 mon-fri 09:00-18:00；22:00-06:00 表示跨夜）",
        "slaHolidaysInput": "节假日，每行一个日期 YYYY-MM-DD", "slaUse": "所有工单按此策略计时",
        "yes": "是", "no": "否",
        "weekday-mon": "周一", "weekday-tue": "周二", "weekday-wed": "周三", "weekday-thu": "周四", "weekday-fri": "周五",
        "weekday-sat": "周六", "weekday-sun": "周日",
    ]
}
