import Foundation
import Hummingbird
import TicketMeshStore

/// A JSON value as a request body holds it, to check each field by name.
enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The fields of a request body (JSON object or HTML form), read by name with rules named on failure.
///
/// Form values are all strings; `int` and `bool` accept their text forms there.
struct Fields: Sendable {
    private(set) var values: [String: JSONValue]
    /// Whether the body was a form, whose values are all text: only then may numbers come as text.
    private(set) var isForm = false
    /// Every value of each form field, in order (check boxes repeat a name); empty for JSON.
    private(set) var repeated: [String: [String]] = [:]
    /// Whether the request had a body at all (an empty one reads as no fields).
    private(set) var hadBody = true

    init(_ values: [String: JSONValue]) { self.values = values }

    /// Reads the body of `request` as a JSON object (or a form when the content type says so).
    ///
    /// - Throws: 400 for a body that is not a JSON object; 413 for one larger than 4 MiB (room for every
    ///   text at its `maxLength`, escaped).
    static func read(_ request: Request) async throws -> Fields {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 4 << 20)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too-large", message: "invalid body: must be at most 4 MiB")
        }
        let text = String(buffer: buffer)
        if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            return Fields(form: text)
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var empty = Fields([:])
            empty.hadBody = false
            return empty
        }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw APIError.badRequest("invalid body: must be a JSON object")
        }
        return Fields(object)
    }

    /// The query of `request` decoded as a form (`+` is a space, then percent-decoding), as browsers and
    /// HTTP clients encode it; the first value of a repeated name wins.
    static func query(_ request: Request) -> [String: String] {
        guard let query = request.uri.query else { return [:] }
        // As `Fields(form:)` reads it, without the JSON values and repeated lists a query has no use for.
        var values: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard let name = parts.first.map(ReplicaStore.TicketFilter.formDecode), !name.isEmpty else { continue }
            values[name] = parts.count > 1 ? ReplicaStore.TicketFilter.formDecode(parts[1]) : ""
        }
        return values
    }

    /// Parses `application/x-www-form-urlencoded` text.
    init(form text: String) {
        var values: [String: JSONValue] = [:]
        var repeated: [String: [String]] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(ReplicaStore.TicketFilter.formDecode)
            guard let key = parts.first, !key.isEmpty else { continue }
            values[key] = .string(parts.count > 1 ? parts[1] : "")
            repeated[key, default: []].append(parts.count > 1 ? parts[1] : "")
        }
        self.values = values
        self.repeated = repeated
        self.isForm = true
    }

    /// A text field as sent; nil if absent, null, empty or only white space (the `nonBlank` pattern of
    /// Docs/openapi.yaml). Throws when required and nil, longer than `limit` Unicode scalars (JSON
    /// Schema's `maxLength`), or not a string.
    func text(_ name: String, required: Bool = false, limit: Int? = nil) throws -> String? {
        switch values[name] {
        case .string(let value) where !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty:
            if let limit, value.unicodeScalars.count > limit {
                throw APIError.badRequest("invalid \(name): must be at most \(limit) characters")
            }
            return value
        case nil, .null, .string:
            if required { throw APIError.badRequest("missing \(name): a value is required") }
            return nil
        case let value?: throw APIError.badRequest("invalid \(name): must be a string, got \(value.typeName)")
        }
    }

    /// `text` without one final newline, which a `pattern`'s `$` allows in every regex dialect schema
    /// tools use; fields with a pattern are checked after it is dropped, so server and document agree.
    static func droppingFinalNewline(_ text: String) -> String {
        guard text.unicodeScalars.last == "\n" else { return text }
        var scalars = text.unicodeScalars
        scalars.removeLast()
        return String(scalars)
    }

    /// Refuses a JSON body with a field not in `names` (`additionalProperties: false`); forms are not checked.
    func allowOnly(_ names: Set<String>) throws {
        guard !isForm, let unknown = values.keys.sorted().first(where: { !names.contains($0) }) else { return }
        throw APIError.badRequest("invalid field '\(unknown)': not accepted here; use \(names.sorted().joined(separator: ", "))")
    }

    /// An integer field (a JSON integer, or its decimal text in a form).
    func int(_ name: String, required: Bool = false) throws -> Int? {
        switch values[name] {
        case .int(let value): return Int(value)
        case .string(let text) where isForm && !text.isEmpty:
            guard let value = Int(text) else {
                throw APIError.badRequest("invalid \(name) '\(text)': must be an integer")
            }
            return value
        case nil, .null:
            if required { throw APIError.badRequest("missing \(name): a value is required") }
            return nil
        case .string where isForm:
            if required { throw APIError.badRequest("missing \(name): a value is required") }
            return nil
        case let value?: throw APIError.badRequest("invalid \(name): must be an integer, got \(value.typeName)")
        }
    }

    /// A list of strings: a JSON array of strings, or in a form every value of the field, each
    /// split at commas and white space; empty when absent.
    func stringList(_ name: String) throws -> [String] {
        if isForm {
            return (repeated[name] ?? []).flatMap { $0.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init) }
        }
        switch values[name] {
        case nil, .null: return []
        case .array(let items):
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item else {
                    throw APIError.badRequest("invalid \(name)[\(index)]: must be a string, got \(item.typeName)")
                }
                return text
            }
        case let value?: throw APIError.badRequest("invalid \(name): must be an array of strings, got \(value.typeName)")
        }
    }

    /// An object of strings (`refs`); empty when absent.
    func stringMap(_ name: String) throws -> [String: String] {
        switch values[name] {
        case nil, .null: return [:]
        case .object(let object):
            var result: [String: String] = [:]
            for (key, value) in object {
                guard case .string(let text) = value else {
                    throw APIError.badRequest("invalid \(name).\(key): must be a string, got \(value.typeName)")
                }
                result[key] = text
            }
            return result
        case let value?:
            throw APIError.badRequest("invalid \(name): must be an object of strings, got \(value.typeName)")
        }
    }

    /// `expected-by` as Docs/openapi.yaml's pattern has it: a real calendar date of 2000–2099, or that
    /// and a UTC time (a subset of what `Timestamps.parse` reads).
    // A Regex is immutable once built and only matched against, so sharing it across tasks is safe.
    nonisolated(unsafe) static let expectedByPattern =
        /(20[0-9]{2}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|20[0-9]{2}-(0[469]|11)-(0[1-9]|[12][0-9]|30)|20[0-9]{2}-02-(0[1-9]|1[0-9]|2[0-8])|20([02468][048]|[13579][26])-02-29)(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z)?/

    /// Whether `text` is a real calendar date `20YY-MM-DD` (the date part of `expectedByPattern`).
    static func isDate(_ text: String) -> Bool {
        !text.contains("T") && text.wholeMatch(of: expectedByPattern) != nil
    }

    /// Most characters (Unicode scalars) a text field of `updateTicket` takes, by CLI name.
    static let updateLimits: [String: Int] = [
        "summary": 2_000, "details": 100_000, "contact": 200, "department": 200, "lead-department": 200,
        "collaborators": 200,
    ]

    /// Every field as text for `updateTicket`, with the JSON types Docs/openapi.yaml declares:
    /// `read-back` and `complex` take a boolean (or its text), every other field a string.
    ///
    /// - Throws: 400 naming the field for another type or a text over its limit; unknown names are
    ///   left to `updateTicket`, which names the fields it takes.
    func updateValues() throws -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            switch (key, value) {
            case ("read-back", .bool(let flag)), ("complex", .bool(let flag)): result[key] = flag ? "true" : "false"
            case (_, .string(let text)):
                if let limit = Self.updateLimits[key], text.unicodeScalars.count > limit {
                    throw APIError.badRequest("invalid \(key): must be at most \(limit) characters")
                }
                if key == "expected-by" {
                    let date = Self.droppingFinalNewline(text)
                    guard date.wholeMatch(of: Self.expectedByPattern) != nil else {
                        throw APIError.badRequest(
                            "invalid expected-by '\(text)': must be a date 20YY-MM-DD or 20YY-MM-DDThh:mm:ssZ, as Docs/openapi.yaml states")
                    }
                    result[key] = date
                } else {
                    result[key] = text
                }
            case ("read-back", _), ("complex", _):
                throw APIError.badRequest("invalid \(key): must be a boolean, got \(value.typeName)")
            case _ where ReplicaStore.updatableFields[key] == nil:
                result[key] = value.typeName  // refused by `updateTicket`, which lists the fields it takes
            default:
                throw APIError.badRequest("invalid \(key): must be a string, got \(value.typeName)")
            }
        }
        return result
    }
}
