import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// SLA policies and business calendars (issue 16 item 5, R3.1; Docs/web.md "Admin pages"): every
/// policy's targets and calendar for anyone who may view tickets; for managers and admins, forms that
/// change targets, the calendar and the policy in use through the same store calls as `ticketmesh sla`
/// and `/api/sla`. The targets form sends every knob; the store writes only those that changed, so a
/// knob another site edited meanwhile is not overwritten by this page's stale copy of it.
extension WebUI {
    /// The knobs of the targets form after the per-level ones, in order: knob name (`SLAPolicy.field(forSetting:)`),
    /// string key, and the policy's value in minutes.
    static let scalarKnobs: [(knob: String, key: String, value: @Sendable (SLAPolicy) -> Int)] = [
        ("escalate-complex", "slaEscalateComplex", { $0.escalateComplex }), ("accept", "slaAccept", { $0.accept }),
        ("severe-plan", "slaSeverePlan", { $0.severePlan }), ("severe-update", "slaSevereUpdate", { $0.severeUpdate }),
        ("reopen-plan", "slaReopenPlan", { $0.reopenPlan }), ("follow-up", "slaFollowUp", { $0.followUp }),
        ("registration", "slaRegistration", { $0.registration }),
    ]

    func registerSLAPages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(router, .get, "admin/sla") { request, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            // The "open or create" form is a GET to this page with the name.
            if let name = request.uri.queryParameters["open"].map(String.init), !name.isEmpty {
                do {
                    return Self.redirect("/admin/sla/" + (try SLAPolicy.validateName(name)))
                } catch {
                    return Self.slaListPage(
                        try await store.slaPolicies(), active: try await store.activePolicyName(), request: request, user: user,
                        status: .badRequest, flash: APIError.from(error).message)
                }
            }
            return Self.slaListPage(try await store.slaPolicies(), active: try await store.activePolicyName(), request: request, user: user)
        }
        route(router, .get, "admin/sla/:name") { request, context, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try await Self.slaPolicyPage(try context.parameters.require("name"), store: store, request: request, user: user)
        }
        slaForm(router, "targets") { request, name, user in
            let settings = try Self.targetSettings(try await Fields.read(request))
            if settings.isEmpty {
                _ = try SLAPolicy.validateName(name)
                // Nothing changed: nothing to write, but the rights are the same as for a change.
                try await store.authorize(.manageSLA, actor: user.name)
            } else {
                _ = try await store.setSLA(name, settings: settings, actor: user.name)
            }
            return "/admin/sla/\(try SLAPolicy.validateName(name))"
        }
        slaForm(router, "calendar") { request, name, user in
            let fields = try await Fields.read(request)
            let calendar: BusinessCalendar?
            if try fields.text("aroundTheClock") != nil {
                calendar = nil
            } else {
                let lines = { (field: String) throws -> [String] in
                    (try fields.text(field) ?? "").split(whereSeparator: \.isNewline)
                        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
                let hours = try lines("hours")
                calendar = try BusinessCalendar.parse(
                    timeZone: try fields.text("timeZone", required: true, limit: 64)!.trimmingCharacters(in: .whitespaces),
                    hours: hours.isEmpty ? BusinessCalendar.defaultHours : hours, holidays: try lines("holidays"))
            }
            _ = try await store.setSLACalendar(name, calendar: calendar, actor: user.name)
            return "/admin/sla/\(try SLAPolicy.validateName(name))"
        }
        slaForm(router, "use") { _, name, user in
            _ = try await store.useSLAPolicy(name, actor: user.name)
            return "/admin/sla"
        }
    }

    /// A form of a policy's page (`POST /admin/sla/NAME/ACTION`): `write` does the change and says
    /// where to go next; a refusal shows the policy's page again with the rule, and nothing changed.
    private func slaForm(
        _ router: Router<BasicRequestContext>, _ action: String,
        _ write: @escaping @Sendable (Request, _ name: String, User) async throws -> String
    ) {
        let store = backend.store
        route(router, .post, RouterPath("admin/sla/:name/\(action)")) { request, context, user in
            let name = try context.parameters.require("name")
            do {
                return Self.redirect(try await write(request, name, user))
            } catch {
                return try await Self.slaPolicyPage(name, store: store, request: request, user: user, failure: APIError.from(error))
            }
        }
    }

    /// The targets form's fields as `KNOB=VALUE` settings: every knob whose value differs from the
    /// one the page showed (`was.KNOB`; all of them for a policy not saved yet), and one new
    /// resolution target when its type is filled in.
    static func targetSettings(_ fields: Fields) throws -> [String] {
        var knobs = Urgency.allCases.flatMap { ["first-response.\($0.rawValue)", "update.\($0.rawValue)"] }
        knobs += ["at-risk", "pause-on-pending"] + scalarKnobs.map(\.knob)
        knobs += fields.values.keys.filter { $0.hasPrefix("resolution.") }.sorted()
        var settings: [String] = []
        for knob in knobs {
            guard let value = try fields.text(knob, limit: 40)?.trimmingCharacters(in: .whitespaces) else { continue }
            // Left as the page showed it: not sent, so another site's edit of it since then stands.
            if let shown = try fields.text("was.\(knob)", limit: 40), shown == value { continue }
            settings.append("\(knob)=\(value)")
        }
        if let type = try fields.text("resolution-type", limit: 81) {
            guard let target = try fields.text("resolution-target", limit: 40) else {
                throw APIError.badRequest("missing resolution-target: a new resolution target needs a duration, e.g. 3d")
            }
            settings.append("resolution.\(type.trimmingCharacters(in: .whitespaces))=\(target.trimmingCharacters(in: .whitespaces))")
        }
        return settings
    }

    static func slaListPage(
        _ policies: [SLAPolicy], active: String, request: Request, user: User, status: HTTPResponse.Status = .ok, flash: String? = nil
    ) -> Response {
        let lang = language(request)
        return page(title: "adminSLA", request: request, user: user, status: status, flash: flash) { html, t in
            html.raw("<h1>")
            html.text(t["adminSLA"] ?? "")
            html.raw("</h1>\n<table id=\"sla-policies\"><thead><tr><th>")
            html.text(t["slaPolicy"] ?? "")
            html.raw("</th>")
            for level in Urgency.allCases {
                html.raw("<th>")
                html.text(Strings.label(.urgency, level.rawValue, language: lang))
                html.raw("</th>")
            }
            html.raw("<th>")
            html.text(t["slaCalendar"] ?? "")
            html.raw("</th></tr></thead><tbody>\n")
            for policy in policies {
                html.raw("<tr class=\"sla-policy\(policy.name == active ? " active" : "")\" data-policy=\"")
                html.text(policy.name)
                html.raw("\"><td><a href=\"/admin/sla/")
                html.text(policy.name)
                html.raw("\">")
                html.text(policy.name)
                html.raw("</a>")
                if policy.name == active {
                    html.raw(" <span class=\"badge in-use\">")
                    html.text(t["slaInUse"] ?? "")
                    html.raw("</span>")
                }
                html.raw("</td>")
                for level in Urgency.allCases {
                    let targets = policy.level(level.rawValue)
                    html.raw("<td>")
                    html.text(Strings.duration(Int64(targets.firstResponse) * 60_000, language: lang))
                    html.raw(" / ")
                    html.text(Strings.duration(Int64(targets.update) * 60_000, language: lang))
                    html.raw("</td>")
                }
                html.raw("<td class=\"calendar\">")
                calendarSummary(&html, policy.calendar, strings: t, language: lang)
                html.raw("</td></tr>\n")
            }
            html.raw("</tbody></table>\n<p class=\"meta\">")
            html.text(t["slaListHelp"] ?? "")
            html.raw("</p>")
            guard user.role.allows(.manageSLA) else { return }
            html.raw("<form method=\"get\" action=\"/admin/sla\" id=\"sla-open\" class=\"card\"><label>")
            html.text(t["slaNew"] ?? "")
            html.raw(" <input name=\"open\" id=\"sla-open-name\" required maxlength=\"32\" placeholder=\"vip-desk\"></label><button id=\"sla-open-submit\">")
            html.text(t["slaOpen"] ?? "")
            html.raw("</button></form>")
        }
    }

    /// A calendar for people: "24×7", or per weekday its periods in the page's language, and holidays.
    static func calendarSummary(_ html: inout HTML, _ calendar: BusinessCalendar?, strings t: [String: String], language: String) {
        guard let calendar else {
            html.text(t["slaAroundTheClock"] ?? "")
            return
        }
        html.text(calendar.timeZone)
        html.raw(": ")
        // Monday first, as people read a week.
        let days = (1...7).map { $0 % 7 }.compactMap { index -> String? in
            let name = BusinessCalendar.weekdays[index]
            guard let periods = calendar.hours[name], !periods.isEmpty else { return nil }
            let spans = periods.map { "\(BusinessCalendar.clock($0.start))–\(BusinessCalendar.clock($0.end))" }
            return (t["weekday-\(name)"] ?? name) + " " + spans.joined(separator: ", ")
        }
        html.text(days.joined(separator: "; "))
        if !calendar.holidays.isEmpty {
            html.raw("; ")
            html.text(t["slaHolidays"] ?? "")
            html.raw(" ")
            html.text(calendar.holidays.joined(separator: ", "))
        }
    }

    /// One policy: its targets and calendar, with the forms for those who may change them.
    static func slaPolicyPage(
        _ rawName: String, store: ReplicaStore, request: Request, user: User, failure: APIError? = nil
    ) async throws -> Response {
        let name = try SLAPolicy.validateName(rawName)
        let (policy, exists, active) = try await store.slaPolicyPage(named: name)
        let lang = language(request)
        let mayChange = user.role.allows(.manageSLA)
        return page(title: "adminSLA", request: request, user: user, status: failure?.status ?? .ok, flash: failure?.message) { html, t in
            func word(_ key: String) { html.text(t[key] ?? key) }
            func duration(_ minutes: Int) { html.text(Strings.duration(Int64(minutes) * 60_000, language: lang)) }
            /// A knob's input and, for a saved policy, the value it was shown with (`was.KNOB`), so
            /// only knobs the user changed are sent on: a stale page does not undo another site's edit.
            func input(_ knob: String, id: String?, _ value: String, size: Int = 8) {
                html.raw("<input name=\"")
                html.text(knob)
                if let id { html.raw("\" id=\"\(id)") }
                html.raw("\" value=\"")
                html.text(value)
                html.raw("\" size=\"\(size)\">")
                if exists {
                    html.raw("<input type=\"hidden\" name=\"was.")
                    html.text(knob)
                    html.raw("\" value=\"")
                    html.text(value)
                    html.raw("\">")
                }
                html.raw(" ")
            }
            /// A labelled input holding `value` as typed (`2h`), or the value shown as a duration.
            func knob(_ key: String, _ knob: String, _ minutes: Int) {
                html.raw("<tr><th>")
                word(key)
                html.raw("</th><td>")
                if mayChange { input(knob, id: "knob-\(knob)", SLAPolicy.formatDuration(minutes: minutes)) }
                html.raw("<span class=\"shown\">")
                duration(minutes)
                html.raw("</span></td></tr>\n")
            }
            html.raw("<h1>")
            word("slaPolicy")
            html.raw(" <code>")
            html.text(name)
            html.raw("</code>")
            if name == active {
                html.raw(" <span class=\"badge in-use\" id=\"sla-in-use\">")
                word("slaInUse")
                html.raw("</span>")
            }
            html.raw("</h1>\n<p><a href=\"/admin/sla\">")
            word("adminSLA")
            html.raw("</a></p>\n")
            if !exists {
                html.raw("<p class=\"meta\" id=\"sla-unsaved\">")
                word("slaUnsaved")
                html.raw("</p>\n")
            }
            if mayChange {
                html.raw("<form method=\"post\" action=\"/admin/sla/")
                html.text(name)
                html.raw("/targets\" id=\"sla-targets\">")
                csrfField(&html)
            }
            html.raw("<table id=\"sla-levels\"><thead><tr><th>")
            word("urgency")
            html.raw("</th><th>")
            word("slaFirstResponse")
            html.raw("</th><th>")
            word("slaUpdate")
            html.raw("</th></tr></thead><tbody>\n")
            for level in Urgency.allCases {
                let targets = policy.level(level.rawValue)
                html.raw("<tr data-level=\"\(level.rawValue)\"><th>")
                html.text(Strings.label(.urgency, level.rawValue, language: lang))
                html.raw("</th>")
                for (knob, minutes) in [("first-response", targets.firstResponse), ("update", targets.update)] {
                    html.raw("<td>")
                    if mayChange {
                        input("\(knob).\(level.rawValue)", id: "knob-\(knob)-\(level.rawValue)", SLAPolicy.formatDuration(minutes: minutes))
                    }
                    html.raw("<span class=\"shown\">")
                    duration(minutes)
                    html.raw("</span></td>")
                }
                html.raw("</tr>\n")
            }
            html.raw("</tbody></table>\n<table id=\"sla-knobs\"><tbody>\n<tr><th>")
            word("slaAtRisk")
            html.raw("</th><td>")
            if mayChange { input("at-risk", id: "knob-at-risk", "\(policy.atRiskPercent)", size: 4) }
            html.raw("<span class=\"shown\">\(policy.atRiskPercent) %</span></td></tr>\n<tr><th>")
            word("slaPauseOnPending")
            html.raw("</th><td>")
            if mayChange {
                selectField(
                    &html, name: "pause-on-pending", id: "knob-pause-on-pending", values: ["true", "false"],
                    selected: policy.pauseOnPending ? "true" : "false", empty: nil
                ) { t[$0 == "true" ? "yes" : "no"] ?? $0 }
                if exists { html.raw("<input type=\"hidden\" name=\"was.pause-on-pending\" value=\"\(policy.pauseOnPending)\">") }
            } else {
                word(policy.pauseOnPending ? "yes" : "no")
            }
            html.raw("</td></tr>\n")
            for (knobName, key, value) in scalarKnobs { knob(key, knobName, value(policy)) }
            for (type, minutes) in policy.resolution.sorted(by: { $0.key < $1.key }) {
                html.raw("<tr class=\"resolution\" data-type=\"")
                html.text(type)
                html.raw("\"><th>")
                word("slaResolution")
                html.raw(" <code>")
                html.text(type)
                html.raw("</code></th><td>")
                if mayChange { input("resolution.\(type)", id: nil, SLAPolicy.formatDuration(minutes: minutes)) }
                html.raw("<span class=\"shown\">")
                duration(minutes)
                html.raw("</span></td></tr>\n")
            }
            if mayChange {
                html.raw("<tr><th>")
                word("slaResolutionNew")
                html.raw("</th><td><input name=\"resolution-type\" id=\"resolution-type\" size=\"16\" placeholder=\"complaint/delivery\"> ")
                html.raw("<input name=\"resolution-target\" id=\"resolution-target\" size=\"8\" placeholder=\"3d\"></td></tr>\n")
            }
            html.raw("</tbody></table>\n")
            if mayChange {
                html.raw("<p class=\"meta\">")
                word("slaDurationsHelp")
                html.raw("</p><button id=\"sla-targets-submit\">")
                word("save")
                html.raw("</button></form>\n")
            }
            html.raw("<h2>")
            word("slaCalendar")
            html.raw("</h2>\n<p id=\"sla-calendar\">")
            calendarSummary(&html, policy.calendar, strings: t, language: lang)
            html.raw("</p>\n")
            guard mayChange else { return }
            html.raw("<form method=\"post\" action=\"/admin/sla/")
            html.text(name)
            html.raw("/calendar\" id=\"sla-calendar-form\" class=\"card\">")
            csrfField(&html)
            html.raw("<label>")
            word("slaTimeZone")
            html.raw(" <input name=\"timeZone\" id=\"calendar-zone\" value=\"")
            html.text(policy.calendar?.timeZone ?? "")
            html.raw("\" placeholder=\"Asia/Shanghai\"></label><label>")
            word("slaHours")
            html.raw(" <textarea name=\"hours\" id=\"calendar-hours\" rows=\"3\" placeholder=\"mon-fri 09:00-18:00\">")
            html.text(policy.calendar.map(Self.hoursLines) ?? "")
            html.raw("</textarea></label><label>")
            word("slaHolidaysInput")
            html.raw(" <textarea name=\"holidays\" id=\"calendar-holidays\" rows=\"3\" placeholder=\"2027-01-01\">")
            html.text(policy.calendar?.holidays.joined(separator: "\n") ?? "")
            html.raw("</textarea></label><label class=\"check\"><input type=\"checkbox\" name=\"aroundTheClock\" value=\"on\" id=\"calendar-24x7\"")
            html.raw(policy.calendar == nil ? " checked" : "")
            html.raw("> ")
            word("slaAroundTheClock")
            html.raw("</label><button id=\"sla-calendar-submit\">")
            word("save")
            html.raw("</button></form>\n")
            guard name != active else { return }
            html.raw("<form method=\"post\" action=\"/admin/sla/")
            html.text(name)
            html.raw("/use\" id=\"sla-use\" class=\"inline\">")
            csrfField(&html)
            html.raw("<button id=\"sla-use-submit\">")
            word("slaUse")
            html.raw("</button></form>")
        }
    }

    /// A calendar's hours as the lines `BusinessCalendar.parse` reads back, one weekday each.
    static func hoursLines(_ calendar: BusinessCalendar) -> String {
        (1...7).map { BusinessCalendar.weekdays[$0 % 7] }.compactMap { day in
            guard let periods = calendar.hours[day], !periods.isEmpty else { return nil }
            return day + " " + periods.map { "\(BusinessCalendar.clock($0.start))-\(BusinessCalendar.clock($0.end))" }.joined(separator: ",")
        }.joined(separator: "\n")
    }
}
