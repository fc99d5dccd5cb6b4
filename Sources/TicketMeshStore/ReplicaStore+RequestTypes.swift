import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Adds a node to the request-type tree (R2.1) or changes its label or whether it is active.
    ///
    /// A `requestType` record is an organisation record (`SiteRights.adminEntities`): only admins
    /// write it, and only at an admin site. Its row id is the path itself, so two sites adding the
    /// same type make one record and converge by last-writer-wins on each field. Retiring a
    /// category retires its subtypes for new tickets (`RequestTypeTree.validate`); tickets that
    /// already carry a type keep it.
    ///
    /// - Parameters:
    ///   - path: `category` or `category/subtype`: 2–40 of a–z, 0–9 and '-' each; a subtype's category must exist.
    ///   - label: shown in the UI and reports, 1–100 characters; nil keeps the current one (required for a new node).
    ///   - active: nil keeps the current state (a new node is active).
    /// - Throws: `DomainError` naming the field and the rule, `.forbidden` for a non-admin; nothing is written then.
    package func saveRequestType(path raw: String, label: String?, active: Bool?, actor: String?) async throws -> RequestTypeTree.Node {
        let path = try RequestTypeTree.validatePath(raw)
        let text = try label.map { try TicketDraft.requireText($0, field: "label", limit: 100) }
        return try await writer.write { db in
            try self.authorize(.manageRequestTypes, actor: actor, in: db)
            let tree = try self.requestTypes(db)
            let existing = tree.nodes[path]
            let category = RequestTypeTree.category(of: path)
            if category != path, tree.nodes[category] == nil {
                throw DomainError(
                    code: .notFound,
                    message: "unknown request-type category '\(category)' of '\(path)': add the category first (categories: \(tree.nodes.values.filter { !$0.path.contains("/") }.map(\.path).sorted().joined(separator: ", ")))")
            }
            guard existing != nil || text != nil else { throw DomainError.missing(field: "label") }
            guard text != nil || active != nil else {
                throw DomainError.invalidValue(field: "label", value: "", rule: "give a new label or a new active state for '\(path)'")
            }
            var node = existing ?? .init(path: path, label: text ?? path)
            var edits: [FieldEdit] = []
            if let text {
                node.label = text
                edits.append(FieldEdit(entity: "requestType", rowID: path, field: "label", value: .text(text)))
            }
            if existing == nil || active != nil {
                node.active = active ?? true
                edits.append(FieldEdit(entity: "requestType", rowID: path, field: "active", value: .int(node.active ? 1 : 0)))
            }
            try self.commit(edits, actor: actor, in: db)
            return node
        }
    }
}
