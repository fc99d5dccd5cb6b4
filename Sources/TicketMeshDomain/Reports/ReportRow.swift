/// What a report needs to know about one ticket of its period; the store gathers these set-based in SQL.
package struct ReportRow: Sendable, Equatable {
  package var number: String
  package var type: String
  package var urgency: String
  package var state: String
  package var assignee: String?
  package var department: String?
  package var leadDepartment: String?
  /// Comma-separated collaborating departments, if any (R2.3).
  package var collaborators: String?
  package var summary: String
  /// ms since 1970.
  package var receivedAt: Int64
  /// The (last) resolution time, ms; nil if never resolved.
  package var resolvedAt: Int64?
  /// The first customer-visible reply, ms; nil if none yet.
  package var firstReplyAt: Int64?
  /// Number of customer-visible replies.
  package var replies: Int
  /// The current satisfaction score 1–5, if rated.
  package var score: Int?
  /// The current tier, if assigned.
  package var tier: Int?
  /// Whether the state was ever written `reopened` or `escalated`.
  package var reopenedOrEscalated: Bool
  /// Whether the same customer raised another complaint in the 30 days before this one (complaints only).
  package var repeatComplaint: Bool
  /// The first-response SLA clock as of the period's end: met, breached, or nil while running.
  package var firstResponseMet: Bool?
  /// When the ticket was registered, ms; nil when unknown (R1.2).
  package var registeredAt: Int64?

  package init(
    number: String, type: String, urgency: String, state: String, assignee: String? = nil,
    department: String? = nil,
    leadDepartment: String? = nil, collaborators: String? = nil, summary: String, receivedAt: Int64,
    resolvedAt: Int64? = nil,
    firstReplyAt: Int64? = nil, replies: Int = 0, score: Int? = nil, tier: Int? = nil,
    reopenedOrEscalated: Bool = false,
    repeatComplaint: Bool = false, firstResponseMet: Bool? = nil, registeredAt: Int64? = nil
  ) {
    self.number = number
    self.type = type
    self.urgency = urgency
    self.state = state
    self.assignee = assignee
    self.department = department
    self.leadDepartment = leadDepartment
    self.collaborators = collaborators
    self.summary = summary
    self.receivedAt = receivedAt
    self.resolvedAt = resolvedAt
    self.firstReplyAt = firstReplyAt
    self.replies = replies
    self.score = score
    self.tier = tier
    self.reopenedOrEscalated = reopenedOrEscalated
    self.repeatComplaint = repeatComplaint
    self.firstResponseMet = firstResponseMet
    self.registeredAt = registeredAt
  }

  /// Whether the ticket is resolved or closed now.
  package var isResolved: Bool {
    state == TicketState.resolved.rawValue || state == TicketState.closed.rawValue
  }

  /// Whether it is a complaint (category `complaint`).
  package var isComplaint: Bool { type == "complaint" || type.hasPrefix("complaint/") }

  /// Resolved at the first contact: resolved or closed, at most one reply, never escalated, reopened or above tier 1.
  package var isFirstContactResolution: Bool {
    isResolved && replies <= 1 && !reopenedOrEscalated && (tier ?? 1) <= 1
  }

  /// Whether departments other than the ticket's own took part (R2.3): collaborators, or a lead other than the department.
  package var isCrossDepartment: Bool {
    if let collaborators, !collaborators.isEmpty { return true }
    if let lead = leadDepartment, let department, lead != department { return true }
    return false
  }
}

/// One satisfaction rating with its dimensions and comment (R5.1, R7.2).
package struct RatingRow: Sendable, Equatable {
  package var number: String
  package var score: Int
  /// Dimension name (`FeedbackDimension.rawValue`) to score 1–5.
  package var dimensions: [String: Int]
  package var comment: String
  package var at: Int64

  package init(
    number: String, score: Int, dimensions: [String: Int] = [:], comment: String = "", at: Int64
  ) {
    self.number = number
    self.score = score
    self.dimensions = dimensions
    self.comment = comment
    self.at = at
  }
}

/// The feedback dimensions of the monthly analysis (R7.2), with the replicated `entry` field each is stored in.
package enum FeedbackDimension: String, CaseIterable, Sendable, Codable {
  case attitude
  case responseSpeed = "response-speed"
  case problemSolving = "problem-solving"
  case productFit = "product-fit"

  /// The `entry` column / replicated field.
  package var field: String {
    switch self {
    case .attitude: "attitude"
    case .responseSpeed: "responseSpeed"
    case .problemSolving: "problemSolving"
    case .productFit: "productFit"
    }
  }

  /// Parses `NAME=SCORE` (e.g. `attitude=4`), naming the allowed dimensions and the score rule on failure.
  package static func parseRating(_ text: String) throws(DomainError) -> (FeedbackDimension, Int) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, let dimension = FeedbackDimension(rawValue: parts[0].lowercased())
    else {
      throw .invalidValue(
        field: "dimension", value: text,
        rule:
          "must be NAME=1..5 with NAME one of \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let score = Int(parts[1]), (1...5).contains(score) else {
      throw .invalidValue(
        field: "dimension \(dimension.rawValue)", value: parts[1],
        rule: "must be an integer from 1 to 5")
    }
    return (dimension, score)
  }
}
