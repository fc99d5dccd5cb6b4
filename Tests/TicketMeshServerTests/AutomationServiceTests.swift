import Foundation
import Logging
import ServiceLifecycle
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

@Suite(.timeLimit(.minutes(3)))
struct AutomationServiceTests {
    @Test func runsEveryIntervalAsTheSiteAndStopsOnGracefulShutdown() async throws {
        let store = try await TestServer.makeStore()  // with users and customer C0001: no anonymous write is allowed
        let logger = Logger(label: "test.automation")
        let group = ServiceGroup(
            configuration: .init(
                services: [Automation(store: store, interval: .milliseconds(50), logger: logger)],
                logger: logger
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(90)  // a bound for a loaded machine; the loop ends at the third run
            while (try await store.lastAutomationRun()?.totals?.runs ?? 0) < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let run = try #require(try await store.lastAutomationRun())
        #expect(run.totals.map { $0.runs >= 3 } == true)
        #expect(run.totals?.failedRuns == 0)
        #expect(run.errors.isEmpty)
        #expect(run.nextAt.map { $0 > run.startedAt } == true)
        // The first run raised the onboarding tasks, as the site's automation actor; later runs found nothing new.
        #expect(run.totals.map { $0.careTasks > 0 } == true)
        #expect(run.careTasks == 0)
        let tasks = try await store.careTasks()
        #expect(tasks.count == run.totals?.careTasks)
    }
}
