import Foundation
import TicketMeshDomain
import TicketMeshReplication

/// Realistic bilingual (Chinese and English) sample customers and tickets, as field edits (`ticketmesh seed`).
///
/// Deterministic: the same configuration gives the same ids, texts, times and scores, so two
/// sites seeded alike hold the same records. A few texts carry valid ID-card or bank-card
/// numbers on purpose, so reports and exports show their redaction (R10.1).
struct SampleData {
  /// What to generate.
  struct Configuration: Sendable {
    var customers: Int
    /// How many tickets will be asked for: receipt times advance through the period in that many steps.
    var tickets: Int
    var sites: [String]
    var seed: UInt64
    /// Tickets are received in the `weeks` weeks before `end` (ms, exclusive).
    var end: Int64
    var weeks: Int
    var timeZone: TimeZone
  }

  let configuration: Configuration
  private var random: SplitMix
  /// Next serial per `day-site`, so numbers never repeat (starts above what the replica holds).
  private var serials: [String: Int]
  /// Tickets made so far.
  private var made = 0
  private let calendar: Calendar

  init(_ configuration: Configuration, existingSerials: [String: Int]) {
    self.configuration = configuration
    random = SplitMix(state: configuration.seed)
    serials = existingSerials
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = configuration.timeZone
    self.calendar = calendar
  }

  static let agents = [
    "li.na", "wang.wei", "zhang.min", "chen.jie", "liu.yang", "zhao.lei", "emma.wu", "james.xu",
    "sun.li", "zhou.tao",
  ]
  static let departments = [
    "客服部 Customer Service", "物流部 Logistics", "质量部 Quality", "技术支持 Tech Support", "财务部 Finance",
  ]
  static let industries = [
    "零售 Retail", "制造 Manufacturing", "物流 Logistics", "金融 Finance", "教育 Education", "医疗 Healthcare",
  ]
  static let cities = [
    ("上海", "Shanghai"), ("北京", "Beijing"), ("深圳", "Shenzhen"), ("杭州", "Hangzhou"),
    ("成都", "Chengdu"), ("武汉", "Wuhan"),
  ]
  static let words = [
    ("华东", "Huadong"), ("远航", "Yuanhang"), ("星辰", "Xingchen"), ("恒信", "Hengxin"), ("博雅", "Boya"),
    ("启明", "Qiming"),
  ]
  static let suffixes = [
    ("贸易有限公司", "Trading Co."), ("科技有限公司", "Technology Co."), ("电子商务公司", "E-commerce Co."),
    ("制造厂", "Manufacturing"),
  ]
  static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
  static let givenNames = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "婷"]
  static let roles = [
    "采购经理 Purchasing manager", "店长 Store manager", "运营 Operations", "财务 Accountant",
  ]

  /// Summaries per request type: what customers say, in both languages.
  static let summaries: [String: [String]] = [
    "complaint/service": [
      "物流延误，订单超过一周未送达 Logistics delay: order not delivered after a week",
      "物流延误，快递停在中转站 Logistics delay: parcel stuck at the hub",
      "客服态度差，电话被挂断 Rude agent hung up the phone",
      "承诺回电但没有回电 Promised call-back never came",
    ],
    "complaint/product": [
      "收到的商品有破损 Item arrived damaged",
      "产品质量问题：屏幕闪烁 Quality problem: screen flickers",
      "包装破损，配件缺失 Damaged packaging, missing accessories",
    ],
    "consultation/product": [
      "咨询产品规格和尺寸 Question about product size and specs", "产品是否支持5G Does the product support 5G",
    ],
    "consultation/service": [
      "如何修改收货地址 How to change the delivery address", "查询订单物流状态 Where is my order",
    ],
    "consultation/policy": ["七天无理由退货政策咨询 7-day returns policy question", "发票开具规则 Invoice rules"],
    "suggestion/process": ["建议简化退款流程 Suggest a simpler refund process"],
    "suggestion/experience": [
      "App 界面字体太小 App font too small", "希望增加夜间客服 Please add night-time support",
    ],
    "after-sales/return": [
      "申请退货退款 Return and refund request", "尺码不合适申请换货 Wrong size, exchange request",
    ],
    "after-sales/repair": [
      "设备无法开机申请维修 Device will not power on, repair request", "耳机单边无声 One earbud silent",
    ],
  ]
  /// Request types with their weights.
  static let types: [(String, Int)] = [
    ("complaint/service", 14), ("complaint/product", 10), ("consultation/product", 14),
    ("consultation/service", 16),
    ("consultation/policy", 10), ("suggestion/process", 4), ("suggestion/experience", 4),
    ("after-sales/return", 16),
    ("after-sales/repair", 12),
  ]
  static let comments = [
    "处理很及时，谢谢 Quick help, thanks", "态度很好 Very friendly agent", "问题解决了 Problem solved",
    "等待时间太长 Waited too long",
    "还是没有解决 Still not solved", "物流太慢 Delivery too slow", "",
  ]

  /// Customer `index` (0-based): id `CSD` + 6 digits.
  mutating func customer(_ index: Int) -> [FieldEdit] {
    let id = Self.customerID(index)
    let city = pick(Self.cities)
    let word = pick(Self.words)
    let suffix = pick(Self.suffixes)
    let level = weighted([("vip", 10), ("normal", 70), ("potential", 20)])
    let phone =
      "1\(3 + Int(random.next() % 7))\(String(format: "%09d", Int(random.next() % 1_000_000_000)))"
    let values: [(String, FieldValue)] = [
      ("name", .text("\(city.0)\(word.0)\(suffix.0) \(city.1) \(word.1) \(suffix.1)")),
      ("contactPerson", .text(pick(Self.surnames) + pick(Self.givenNames))),
      ("contactRole", .text(pick(Self.roles))),
      ("phone", .text(phone)), ("industry", .text(pick(Self.industries))), ("level", .text(level)),
      ("createdAt", .int(configuration.end - Int64(configuration.weeks + 8) * 7 * 86_400_000)),
      ("site", .text(configuration.sites[0])),
    ]
    return values.map { FieldEdit(entity: "customer", rowID: id, field: $0.0, value: $0.1) }
  }

  static func customerID(_ index: Int) -> String { "CSD" + String(format: "%06d", index + 1) }

  /// One ticket with its replies, note, resolution, rating and exception, as edits in time order.
  ///
  /// Tickets arrive in receipt-time order (the n-th of N falls in the n-th N-th of the period), as
  /// they do on a real site, so time-keyed indexes and time-ordered ids grow at their end.
  mutating func ticket() -> [FieldEdit] {
    let span = Int64(configuration.weeks) * 7 * 86_400_000
    let steps = Int64(max(configuration.tickets, made + 1))
    let received =
      configuration.end - span + (span * Int64(made) + Int64(random.next() % UInt64(span))) / steps
    made += 1
    let id = uuid(at: received)
    let site = pick(configuration.sites)
    let day = Timestamps.day(received, in: configuration.timeZone)
    let serial = (serials["\(day)-\(site)"] ?? 0) + 1
    serials["\(day)-\(site)"] = serial
    let type = weighted(Self.types)
    let urgency = weighted([("urgent", 15), ("important", 30), ("normal", 55)])
    var summary = pick(Self.summaries[type]!)
    if chance(1, in: 100) { summary += " 退款到银行卡 refund to card \(bankCard())" }
    if chance(1, in: 200) { summary += " 身份证 ID \(idCard())" }
    let assignee = pick(Self.agents)
    let department = pick(Self.departments)
    var edits: [FieldEdit] = []
    func set(_ field: String, _ value: FieldValue) {
      edits.append(FieldEdit(entity: "ticket", rowID: id, field: field, value: value))
    }
    set(
      "number",
      .text(TicketNumber(day: day, site: SiteCode(trusted: site), serial: serial).description))
    set(
      "customerId",
      .text(Self.customerID(Int(random.next() % UInt64(max(1, configuration.customers))))))
    set("contactPerson", .text(pick(Self.surnames) + pick(Self.givenNames)))
    set("channel", .text(pick(Channel.allCases).rawValue))
    set("type", .text(type))
    set("urgency", .text(urgency))
    set("summary", .text(summary))
    set("refs", .text("{\"order\":\"SO\(100_000_000 + Int(random.next() % 900_000_000))\"}"))
    set("receivedAt", .int(received))
    set("registeredAt", .int(received + Int64(1 + random.next() % 20) * 60_000))
    set("originSite", .text(site))
    set("readBack", .int(chance(70, in: 100) ? 1 : 0))
    set("createdBy", .text(assignee))
    set("state", .text("new"))
    set("assignee", .text(assignee))
    set("department", .text(department))
    if chance(10, in: 100) {
      set("leadDepartment", .text(department))
      set("collaborators", .text(pick(Self.departments.filter { $0 != department })))
    }
    let age = configuration.end - received
    let target: Int64 = urgency == "urgent" ? 120 : urgency == "important" ? 240 : 480
    var now = received
    if chance(2, in: 100) {
      set("state", .text("pending-customer"))
      set("state", .text("in-progress"))
    }
    if chance(92, in: 100) {
      let late = chance(12, in: 100)
      let minutes =
        late
        ? target + 1 + Int64(random.next() % UInt64(target))
        : 3 + Int64(random.next() % UInt64(target - 3))
      let reply = received + minutes * 60_000
      if reply < configuration.end {
        now = reply
        edits += entry(
          ticket: id, kind: "reply", body: "您好，我们已收到您的问题，正在处理 We have your request and are on it",
          at: reply, author: assignee, site: site)
        if chance(35, in: 100), now + 3_600_000 < configuration.end {
          now += Int64(1 + random.next() % 6) * 3_600_000
          edits += entry(
            ticket: id, kind: "reply", body: "处理进展更新 Progress update", at: now, author: assignee,
            site: site)
        }
        set("state", .text("acknowledged"))
      }
    }
    if chance(30, in: 100) {
      edits += entry(
        ticket: id, kind: "note", body: "已联系快递公司核实 Contacted the courier to check",
        at: now + 60_000, author: assignee, site: site)
    }
    if chance(8, in: 100) {
      set("state", .text("escalated"))
      set("tier", .int(2))
    }
    let handling =
      Int64(1 + random.next() % (chance(20, in: 100) ? 96 : 30)) * 3_600_000
      + Int64(random.next() % 3_600_000)
    if age > 2 * 86_400_000 || (age > handling && chance(50, in: 100)),
      received + handling < configuration.end, chance(85, in: 100)
    {
      let resolvedAt = received + handling
      set("state", .text("resolved"))
      set(
        "result",
        .text(
          "已为您补发 Re-shipped the order; tracking SF\(1_000_000_000 + Int(random.next() % 9_000_000_000))"
        ))
      if chance(3, in: 100) {
        set("state", .text("reopened"))
        set("state", .text("resolved"))
      }
      set("resolvedAt", .int(resolvedAt))
      if chance(60, in: 100) {
        let score = Int(weighted([("5", 45), ("4", 30), ("3", 12), ("2", 8), ("1", 5)]))!
        let ratingID = uuid(at: resolvedAt + 3_600_000)
        var comment = pick(Self.comments)
        if chance(1, in: 100) { comment += " 我的身份证 \(idCard())" }
        edits += entry(
          ticket: id, kind: "rating", body: comment, at: resolvedAt + 3_600_000, author: nil,
          site: site, rowID: ratingID)
        edits.append(
          FieldEdit(entity: "entry", rowID: ratingID, field: "score", value: .int(Int64(score))))
        for dimension in FeedbackDimension.allCases {
          let value = min(5, max(1, score + Int(random.next() % 3) - 1))
          edits.append(
            FieldEdit(
              entity: "entry", rowID: ratingID, field: dimension.field, value: .int(Int64(value))))
        }
        set("score", .int(Int64(score)))
      }
      if chance(60, in: 100) {
        set("state", .text("closed"))
        set("closedAt", .int(resolvedAt + 86_400_000))
      }
    }
    if chance(2, in: 100) {
      let exception = uuid(at: received + 3_600_000)
      let grade = Int64(weighted([("1", 10), ("2", 30), ("3", 60)]))!
      let values: [(String, FieldValue)] = [
        ("ticketId", .text(id)),
        ("category", .text(pick(ServiceException.Category.allCases).rawValue)),
        ("grade", .int(grade)),
        ("description", .text("服务异常 Service exception: \(summary)")),
        ("at", .int(received + 3_600_000)), ("site", .text(site)),
      ]
      edits += values.map {
        FieldEdit(entity: "exception", rowID: exception, field: $0.0, value: $0.1)
      }
    }
    return edits
  }

  private mutating func entry(
    ticket: String, kind: String, body: String, at: Int64, author: String?, site: String,
    rowID: String? = nil
  ) -> [FieldEdit] {
    let id = rowID ?? uuid(at: at)
    var values: [(String, FieldValue)] = [
      ("ticketId", .text(ticket)), ("kind", .text(kind)), ("body", .text(body)), ("at", .int(at)),
      ("site", .text(site)),
    ]
    if let author { values.append(("author", .text(author))) }
    return values.map { FieldEdit(entity: "entry", rowID: id, field: $0.0, value: $0.1) }
  }

  // MARK: Randomness

  /// A time-ordered id for a record made at `millis` (see `RecordID`), from the seeded generator.
  private mutating func uuid(at millis: Int64) -> String {
    RecordID.make(at: millis, random: (random.next(), random.next()))
  }

  private mutating func pick<T>(_ items: [T]) -> T {
    items[Int(random.next() % UInt64(items.count))]
  }

  private mutating func chance(_ numerator: UInt64, in denominator: UInt64) -> Bool {
    random.next() % denominator < numerator
  }

  private mutating func weighted(_ items: [(String, Int)]) -> String {
    var roll = Int(random.next() % UInt64(items.reduce(0) { $0 + $1.1 }))
    for (item, weight) in items {
      if roll < weight { return item }
      roll -= weight
    }
    return items[items.count - 1].0
  }

  /// A 16-digit number that passes Luhn, as bank cards do.
  private mutating func bankCard() -> String {
    var digits = [6, 2, 2, 2] + (0..<11).map { _ in Int(random.next() % 10) }
    var sum = 0
    for (index, digit) in digits.reversed().enumerated() {
      let value = index % 2 == 0 ? digit * 2 : digit
      sum += value > 9 ? value - 9 : value
    }
    digits.append((10 - sum % 10) % 10)
    return digits.map(String.init).joined()
  }

  /// An 18-character resident ID number with a valid check digit.
  private mutating func idCard() -> String {
    let body =
      "110105" + "19\(70 + Int(random.next() % 30))"
      + String(format: "%02d%02d", 1 + Int(random.next() % 12), 1 + Int(random.next() % 28))
      + String(format: "%03d", Int(random.next() % 1000))
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body + String(Array("10X98765432")[sum % 11])
  }
}

/// SplitMix64, a small seeded generator: the same seed gives the same sample data everywhere.
package struct SplitMix: RandomNumberGenerator {
  var state: UInt64

  package init(state: UInt64) { self.state = state }

  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
