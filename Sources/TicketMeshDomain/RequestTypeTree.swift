import Foundation

/// The two-level request-type tree (R2.1): a category ("complaint") and its subtypes ("product").
///
/// The tree is data: the defaults below are what a new organisation starts with, and
/// replicated `requestType` records add or retire entries (see `applying(_:)`).
package struct RequestTypeTree: Sendable, Equatable {
    /// One node: a category or a subtype, addressed as `category` or `category/subtype`.
    package struct Node: Sendable, Equatable, Codable {
        package var path: String
        package var label: String
        package var active: Bool

        package init(path: String, label: String, active: Bool = true) {
            self.path = path
            self.label = label
            self.active = active
        }
    }

    package private(set) var nodes: [String: Node]

    package init(nodes: [Node]) {
        self.nodes = Dictionary(nodes.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The standards' default tree: consultation, complaint, suggestion, after-sales.
    package static let standard = RequestTypeTree(nodes: [
        Node(path: "consultation", label: "Consultation 咨询"),
        Node(path: "consultation/product", label: "Product 产品"),
        Node(path: "consultation/service", label: "Service 服务"),
        Node(path: "consultation/policy", label: "Policy 政策"),
        Node(path: "complaint", label: "Complaint 投诉"),
        Node(path: "complaint/service", label: "Service 服务"),
        Node(path: "complaint/product", label: "Product quality 产品质量"),
        Node(path: "suggestion", label: "Suggestion 建议"),
        Node(path: "suggestion/process", label: "Process 流程"),
        Node(path: "suggestion/experience", label: "Experience 体验"),
        Node(path: "after-sales", label: "After-sales 售后"),
        Node(path: "after-sales/return", label: "Return or exchange 退换货"),
        Node(path: "after-sales/repair", label: "Repair 维修"),
    ])

    /// The tree with `records` laid over it: a record adds a node or changes its label or activity.
    package func applying(_ records: [Node]) -> RequestTypeTree {
        var copy = self
        for record in records { copy.nodes[record.path] = record }
        return copy
    }

    /// Active paths, sorted.
    package var activePaths: [String] { nodes.values.filter(\.active).map(\.path).sorted() }

    /// Checks that `path` names an active node whose category is active too.
    package func validate(_ path: String) throws(DomainError) -> String {
        let normalized = path.lowercased().replacingOccurrences(of: ".", with: "/")
        let parts = normalized.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }),
            let node = nodes[normalized], node.active,
            nodes[String(parts[0])]?.active == true
        else {
            throw .invalidValue(
                field: "type", value: path,
                rule: "must be an active request type: \(activePaths.joined(separator: ", "))")
        }
        return normalized
    }

    /// Checks a request-type path: `category` or `category/subtype`, each 2–40 of a–z, 0–9 and '-';
    /// returns it lower-cased.
    package static func validatePath(_ raw: String, field: String = "path") throws(DomainError) -> String {
        let path = raw.lowercased()
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ part in
                (2...40).contains(part.count) && part.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
            })
        else {
            throw .invalidValue(field: field, value: raw, rule: "must be 'category' or 'category/subtype', each 2–40 of a–z, 0–9 and '-'")
        }
        return path
    }

    /// The category of a path ("complaint/product" → "complaint").
    package static func category(of path: String) -> String {
        path.firstIndex(of: "/").map { String(path[..<$0]) } ?? path
    }
}
