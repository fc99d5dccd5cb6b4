import Testing

@testable import TicketMeshDomain

@Suite struct WorkflowRulesTests {
    static let pairs = TicketState.allCases.flatMap { from in TicketState.allCases.map { (from, $0) } }

    @Test(arguments: pairs)
    func everyIllegalTransitionIsRefused(from: TicketState, to: TicketState) {
        if from.allowedNext.contains(to) {
            #expect(throws: Never.self) { try from.checkTransition(to: to) }
        } else {
            let error = #expect(throws: DomainError.self) { try from.checkTransition(to: to) }
            #expect(error?.code == .illegalTransition)
            #expect(error?.message.contains("'\(from.rawValue)' to '\(to.rawValue)'") == true)
        }
    }

    @Test func closedIsFinalAndReopenOnlyFollowsResolved() {
        #expect(TicketState.closed.allowedNext.isEmpty)
        #expect(TicketState.allCases.filter { $0.allowedNext.contains(.reopened) } == [.resolved])
    }

    static let ratingCases: [(TicketState, String?, String?, TicketState)] = [
        (.resolved, "r1", nil, .reopened), (.closed, "r1", nil, .reopened), (.resolved, "r1", "r1", .resolved),
        (.resolved, nil, nil, .resolved), (.inProgress, "r1", nil, .inProgress), (.closed, "r2", "r1", .reopened),
    ]

    @Test(arguments: ratingCases)
    func lowRatingBeatsAResolveThatNeverSawIt(stored: TicketState, dissatisfied: String?, answered: String?, shown: TicketState) {
        #expect(TicketState.effective(stored: stored, dissatisfied: dissatisfied, answered: answered) == shown)
    }

    @Test func threeLevelFormMapsOntoScores() throws {
        #expect(try Satisfaction.parse("satisfied").score == 5)
        #expect(try Satisfaction.parse("basically satisfied").score == 3)
        #expect(try Satisfaction.parse("not-satisfied").score == 1)
        #expect(Satisfaction.isDissatisfied(score: 2))
        #expect(!Satisfaction.isDissatisfied(score: 3))
        #expect(throws: DomainError.self) { try Satisfaction.validate(score: 6) }
    }

    static let matrix: [(Permission, [Role])] = [
        (.viewTickets, Role.allCases),
        (.createTicket, [.agent, .specialist, .supervisor, .manager, .admin]),
        (.accept, [.specialist, .supervisor, .manager, .admin]),
        (.reopen, [.supervisor, .manager, .admin]),
        (.approve, [.supervisor, .manager, .admin]),
        (.manageSLA, [.manager, .admin]),
        (.manageChurnPolicy, [.manager, .admin]),
        (.manageUsers, [.admin]),
    ]

    @Test(arguments: matrix)
    func rolesAllowExactlyTheirActions(permission: Permission, allowed: [Role]) {
        for role in Role.allCases { #expect(role.allows(permission) == allowed.contains(role), "\(role) \(permission)") }
    }

    @Test func refusalNamesUserRoleAndWhatIsNeeded() {
        let message = Permission.approve.refusal(user: "li.wei", role: .agent).message
        #expect(message.contains("'li.wei'") && message.contains("role agent") && message.contains("supervisor, manager, admin"))
        #expect(Permission.approve.refusal(user: "x", role: .agent).code == .forbidden)
    }

    @Test func exceptionGradesNameTheirHandlers() throws {
        #expect(try ServiceException.Grade.parse(1).handlingRole == .manager)
        #expect(try ServiceException.Grade.parse(2).handlingRole == .supervisor)
        #expect(try ServiceException.Grade.parse(3).handlingRole == .agent)
        #expect(throws: DomainError.self) { try ServiceException.Grade.parse(4) }
        #expect(throws: DomainError.self) { try ServiceException.Category.parse("weather") }
    }
}
