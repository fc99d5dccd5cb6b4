import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// `/api/sla/…` (issue 16 item 5, R3.1): read the policies (anyone who may view tickets); change a
/// policy's targets, its business calendar and the policy in use (managers and admins, at an admin
/// site) through the store calls `ticketmesh sla` and the web pages use. Bodies are read strictly,
/// so what Docs/openapi.yaml declares valid is accepted and nothing else is.
extension API {
    func registerSLA(on api: RouterGroup<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(api, .get, "sla/policies") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            struct Body: Encodable {
                let active: String
                let policies: [SLAPolicy]
            }
            return try JSON.response(Body(active: try await store.activePolicyName(), policies: try await store.slaPolicies()))
        }
        route(api, .get, "sla/policies/:name") { _, context, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            let name = try SLAPolicy.validateName(try context.parameters.require("name"))
            guard try await store.slaPolicyExists(named: name) else {
                throw APIError.notFound("unknown SLA policy '\(name)': GET /api/sla/policies lists them")
            }
            return try JSON.response(try await store.slaPolicy(named: name))
        }
        route(api, .patch, "sla/policies/:name") { request, context, user in
            let knobs = try Self.slaKnobs(try await Fields.read(request))
            return try JSON.response(try await store.setSLA(try context.parameters.require("name"), knobs: knobs, actor: user.name))
        }
        route(api, .put, "sla/policies/:name/calendar") { request, context, user in
            let calendar = try Self.slaCalendar(try await Fields.read(request))
            return try JSON.response(
                try await store.setSLACalendar(try context.parameters.require("name"), calendar: calendar, actor: user.name))
        }
        route(api, .put, "sla/active") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["policy"])
            let name = Fields.droppingFinalNewline(try fields.text("policy", required: true, limit: 33)!)
            return try JSON.response(try await store.useSLAPolicy(name, actor: user.name))
        }
    }

    /// The knobs of a PATCH body shaped like the policy GET returns: `levels.LEVEL.firstResponse|update`,
    /// the scalar minutes, `atRiskPercent`, `pauseOnPending`, `resolution.TYPE` (null removes it).
    ///
    /// - Throws: 400 naming the field for an unknown name, a wrong JSON type, a value out of range or
    ///   an empty object.
    static func slaKnobs(_ fields: Fields) throws -> [SLAPolicy.Knob] {
        let scalars = ["escalateComplex", "accept", "severePlan", "severeUpdate", "reopenPlan", "followUp", "registration"]
        try fields.allowOnly(Set(scalars + ["levels", "atRiskPercent", "pauseOnPending", "resolution"]))
        func object(_ value: JSONValue, _ name: String) throws -> [String: JSONValue] {
            guard case .object(let object) = value else {
                throw APIError.badRequest("invalid \(name): must be an object, got \(value.typeName)")
            }
            guard !object.isEmpty else { throw APIError.badRequest("invalid \(name): must name at least one field") }
            return object
        }
        func integer(_ value: JSONValue, _ name: String) throws -> Int64 {
            switch value {
            case .int(let number): return number
            // JSON Schema's integer includes 90.0.
            case .double(let number) where number.rounded() == number && abs(number) < 1e15: return Int64(number)
            default: throw APIError.badRequest("invalid \(name): must be an integer, got \(value.typeName)")
            }
        }
        guard !fields.values.isEmpty else {
            throw APIError.badRequest("missing settings: give at least one target, e.g. {\"levels\": {\"urgent\": {\"firstResponse\": 90}}}")
        }
        var knobs: [(String, Int64?)] = []
        for (key, value) in fields.values.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "levels":
                for (level, targets) in try object(value, key).sorted(by: { $0.key < $1.key }) {
                    guard Urgency(rawValue: level) != nil else {
                        throw APIError.badRequest("invalid levels.\(level): levels are urgent, important, normal")
                    }
                    for (name, minutes) in try object(targets, "levels.\(level)").sorted(by: { $0.key < $1.key }) {
                        guard name == "firstResponse" || name == "update" else {
                            throw APIError.badRequest("invalid field 'levels.\(level).\(name)': use firstResponse, update")
                        }
                        knobs.append(("\(name).\(level)", try integer(minutes, "levels.\(level).\(name)")))
                    }
                }
            case "resolution":
                for (type, minutes) in try object(value, key).sorted(by: { $0.key < $1.key }) {
                    knobs.append(("resolution.\(Fields.droppingFinalNewline(type))", minutes == .null ? nil : try integer(minutes, "resolution.\(type)")))
                }
            case "pauseOnPending":
                guard case .bool(let flag) = value else {
                    throw APIError.badRequest("invalid pauseOnPending: must be a boolean, got \(value.typeName)")
                }
                knobs.append((key, flag ? 1 : 0))
            default:
                knobs.append((key, try integer(value, key)))
            }
        }
        return try knobs.map { field, value in
            // The resolution type must stay lower-case as the schema's pattern has it: the store lower-cases.
            if field.hasPrefix("resolution."), field.dropFirst(11).contains(where: \.isUppercase) {
                throw APIError.badRequest("invalid \(field): request types are lower-case")
            }
            return try SLAPolicy.knob(field: field, value: value)
        }
    }

    /// `HH:MM` from 00:00 to 23:59 (a period's start).
    static let startTime = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
    /// A line of working hours as Docs/openapi.yaml states it: lower-case days, a start before 24:00, an end up to 24:00.
    nonisolated(unsafe) static let hoursPattern = try! Regex(
        "(?:sun|mon|tue|wed|thu|fri|sat)(?:-(?:sun|mon|tue|wed|thu|fri|sat))?(?:,(?:sun|mon|tue|wed|thu|fri|sat)(?:-(?:sun|mon|tue|wed|thu|fri|sat))?)* "
            + "\(startTime)-(?:\(startTime)|24:00)(?:,\(startTime)-(?:\(startTime)|24:00))*")
    nonisolated(unsafe) static let timeZonePattern = /[A-Za-z][A-Za-z0-9_+-]{0,63}(\/[A-Za-z0-9_+-]{1,63}){0,2}/

    /// A calendar PUT body: `{"aroundTheClock": true}` alone, or `timeZone` and `hours` with optional `holidays`.
    ///
    /// - Throws: 400 naming the field and rule; 404 for a time zone this machine's database does not know.
    static func slaCalendar(_ fields: Fields) throws -> BusinessCalendar? {
        if let flag = fields.values["aroundTheClock"] {
            try fields.allowOnly(["aroundTheClock"])
            guard flag == .bool(true) else {
                throw APIError.badRequest("invalid aroundTheClock: must be true (or give timeZone and hours instead)")
            }
            return nil
        }
        try fields.allowOnly(["timeZone", "hours", "holidays"])
        guard case .string(let rawZone)? = fields.values["timeZone"] else {
            throw APIError.badRequest("missing timeZone: an IANA time zone such as Asia/Shanghai (or aroundTheClock: true)")
        }
        let zone = Fields.droppingFinalNewline(rawZone)
        guard zone.wholeMatch(of: timeZonePattern) != nil, zone.count <= 64 else {
            throw APIError.badRequest("invalid timeZone '\(rawZone)': must be an IANA time zone name such as Asia/Shanghai")
        }
        guard TimeZone(identifier: zone) != nil else {
            throw APIError.notFound("unknown timeZone '\(zone)': this machine's time zone database has no such zone")
        }
        guard fields.values["hours"] != nil else { throw APIError.badRequest("missing hours: e.g. [\"mon-fri 09:00-18:00\"]") }
        let hours = try fields.stringList("hours").map(Fields.droppingFinalNewline)
        let holidays = try fields.stringList("holidays").map(Fields.droppingFinalNewline)
        guard (1...50).contains(hours.count) else { throw APIError.badRequest("invalid hours: must be 1 to 50 lines") }
        guard holidays.count <= 1000 else { throw APIError.badRequest("invalid holidays: at most 1000 dates") }
        for line in hours where line.wholeMatch(of: hoursPattern) == nil {
            throw APIError.badRequest(
                "invalid hours '\(line)': must be DAYS HH:MM-HH:MM[,HH:MM-HH:MM] with lower-case days, e.g. 'mon-fri 09:00-18:00'")
        }
        for date in holidays where !Fields.isDate(date) {
            throw APIError.badRequest("invalid holidays '\(date)': must be a date 20YY-MM-DD")
        }
        return try BusinessCalendar.parse(timeZone: zone, hours: hours, holidays: holidays)
    }
}
