import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// R8: care tasks raised offline on two sites converge to one record each.
@Suite struct CareTests {
    let clock = ManualClock()

    @Test func twoSitesSweepingOfflineRaiseEachTaskOnce() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        _ = try await hq.addCustomer(Customer(id: "C202405001", name: "华东物流", level: "vip"), generateID: false, actor: nil)
        _ = try await hq.addCustomer(Customer(id: "C202405002", name: "Northwind"), generateID: false, actor: nil)
        for offset in [100, 110, 120, 130, 140, 150, 160, 170, 175, 178] {
            try await hq.addPurchase(customer: "C202405002", amountCents: 9_900, item: "耗材", at: clock.now - Int64(offset) * 86_400_000, actor: nil)
        }
        for offset in [10, 20, 30, 40, 50, 60, 70] {
            try await hq.addPurchase(customer: "C202405002", amountCents: 9_900, item: "耗材", at: clock.now - Int64(offset) * 86_400_000, actor: nil)
        }
        try await deliverAll(from: hq, to: sh)
        let fromHQ = try await hq.sweepCare(actor: "alice")
        clock.advance(60_000)
        let fromSH = try await sh.sweepCare(actor: "bob")
        #expect(fromHQ.map(\.id) == fromSH.map(\.id))
        #expect(fromHQ.contains { $0.id.hasPrefix("care:C202405001:quarterly:") })
        #expect(fromHQ.contains { $0.id.hasPrefix("care:C202405002:churn:") && $0.reason.contains("30 %") })
        #expect(!fromHQ.contains { $0.id.hasPrefix("care:C202405001:churn") })
        try await deliverAll(from: hq, to: sh)
        try await deliverAll(from: sh, to: hq)
        let tasks = try await hq.careTasks()
        #expect(tasks.count == fromHQ.count)
        #expect(try await hq.digest() == sh.digest())
        #expect(try await hq.conflicts().isEmpty, "identical tasks are not conflicts")
        try await hq.completeCareTask("care:C202405001:welcome", note: "called, all fine", actor: "alice")
        try await deliverAll(from: hq, to: sh)
        #expect(try await sh.careTasks().count == tasks.count - 1)
        #expect(try await sh.sweepCare(actor: nil).isEmpty)
    }

    /// Issue 18 item 6: the churn thresholds are replicated settings, set by managers and admins
    /// on one site and used by every site's sweep.
    @Test func churnThresholdsAreReplicatedSettings() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        let sh = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: clock.configuration)
        _ = try await hq.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await hq.saveUser(User(name: "li", role: .agent), actor: "root")
        _ = try await hq.addCustomer(Customer(id: "C202405002", name: "Northwind"), generateID: false, actor: "root")
        // 10 purchases in the window before, 6 in the last one: down 40 %.
        for offset in [100, 110, 120, 130, 140, 150, 160, 170, 175, 178] + [10, 20, 30, 40, 50, 60] {
            try await hq.addPurchase(customer: "C202405002", amountCents: 9_900, item: "耗材", at: clock.now - Int64(offset) * 86_400_000, actor: "root")
        }
        #expect(try await hq.churnPolicy() == CareRules.ChurnPolicy())
        let refused = await #expect(throws: DomainError.self) { try await hq.setChurnPolicy(["purchase-drop=50"], actor: "li") }
        #expect(refused?.code == .forbidden)
        let bad = await #expect(throws: DomainError.self) { try await hq.setChurnPolicy(["purchase-drop=150%"], actor: "root") }
        #expect(bad?.message == "invalid purchase-drop '150%': must be a percentage from 1 to 100")
        let unknown = await #expect(throws: DomainError.self) { try await hq.setChurnPolicy(["drop=5"], actor: "root") }
        #expect(unknown?.message == "invalid setting 'drop': knobs are purchase-drop, satisfaction-floor, window")
        let policy = try await hq.setChurnPolicy(["purchase-drop=50%", "satisfaction-floor=60"], actor: "root")
        #expect(policy.purchaseDrop == 0.5 && policy.satisfactionFloor == 60 && policy.window == 90 * 86_400_000)
        try await deliverAll(from: hq, to: sh)
        #expect(try await sh.churnPolicy() == policy)
        // A 40 % drop no longer warns on the other site; with the defaults it would.
        #expect(try await sh.sweepCare(actor: "root").filter { $0.kind == "churn" }.isEmpty)
        _ = try await hq.setChurnPolicy(["purchase-drop=40"], actor: "root")
        try await deliverAll(from: hq, to: sh)
        let raised = try await sh.sweepCare(actor: "root").filter { $0.kind == "churn" }
        #expect(raised.map(\.customerId) == ["C202405002"] && raised.first?.reason.contains("40 %") == true)
    }

    @Test func profileUpdatesAreValidated() async throws {
        let hq = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: clock.configuration)
        _ = try await hq.addCustomer(Customer(id: "C202405001", name: "Acme"), generateID: false, actor: nil)
        let updated = try await hq.updateCustomer("C202405001", fields: ["tags": "prefers phone, 不要晚上打电话", "level": "VIP", "contact-role": "采购经理"], actor: nil)
        #expect(updated.level == "vip")
        await #expect(throws: DomainError.self) { try await hq.updateCustomer("C202405001", fields: ["level": "gold"], actor: nil) }
        await #expect(throws: DomainError.self) { try await hq.updateCustomer("C404404", fields: ["level": "vip"], actor: nil) }
        await #expect(throws: DomainError.self) { try await hq.addPurchase(customer: "C202405001", amountCents: -1, item: "x", at: nil, actor: nil) }
    }
}
