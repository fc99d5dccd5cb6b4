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
