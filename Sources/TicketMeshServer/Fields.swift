import Foundation
import Hummingbird

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

    init(_ values: [String: JSONValue]) { self.values = values }

    /// Reads the body of `request` as a JSON object (or a form when the content type says so).
    ///
    /// - Throws: 400 for a body that is not a JSON object, or larger than 1 MiB.
    static func read(_ request: Request) async throws -> Fields {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 1 << 20)
        } catch {
            throw APIError(status: .contentTooLarge, code: "too-large", message: "invalid body: must be at most 1 MiB")
        }
        let text = String(buffer: buffer)
        if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            return Fields(form: text)
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return Fields([:]) }
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw APIError.badRequest("invalid body: must be a JSON object")
        }
        return Fields(object)
    }

    /// Parses `application/x-www-form-urlencoded` text.
    init(form text: String) {
        var values: [String: JSONValue] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard let key = parts.first, !key.isEmpty else { continue }
            values[key] = .string(parts.count > 1 ? parts[1] : "")
        }
        self.values = values
        self.isForm = true
    }

    /// A text field; nil if absent (or empty in a form). Throws when required and absent, or not a string.
    func text(_ name: String, required: Bool = false) throws -> String? {
        switch values[name] {
        case .string(let value) where !value.isEmpty: return value
        case nil, .null, .string:
            if required { throw APIError.badRequest("missing \(name): a value is required") }
            return nil
        case let value?: throw APIError.badRequest("invalid \(name): must be a string, got \(value.typeName)")
        }
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

    /// Every field as text for `updateTicket`: strings as given, numbers and booleans spelled out.
    ///
    /// - Throws: 400 for arrays, objects and nulls.
    func textValues() throws -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in values {
            switch value {
            case .string(let text): result[key] = text
            case .int(let number): result[key] = String(number)
            case .bool(let flag): result[key] = flag ? "true" : "false"
            default:
                throw APIError.badRequest("invalid \(key): must be a string, number or boolean, got \(value.typeName)")
            }
        }
        return result
    }
}
