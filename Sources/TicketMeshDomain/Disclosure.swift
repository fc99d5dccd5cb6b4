/// How much personal data one read shows (R10.1): the one masking policy every interface applies.
///
/// Ordinary reads are `masked` for every role: phone numbers keep their last four digits, and
/// ID-card, bank-card and phone numbers in free text are redacted (`Redaction`). `revealed` comes
/// only from `ReplicaStore.reveal`, which checks `Permission.revealContacts` and records the
/// reveal as a replicated event. Password hashes are withheld at every level. Stored values are
/// never changed: a disclosure applies to copies on their way out.
package struct Disclosure: Sendable, Hashable {
    /// Masked (the default for every read) or revealed (after an audited reveal).
    package enum Level: String, Sendable, Hashable {
        case masked, revealed
    }

    package let level: Level

    /// Masks contact data and redacts numbers in free text.
    package static let masked = Disclosure(level: .masked)
    /// Shows stored values in clear (but never a password hash).
    package static let revealed = Disclosure(level: .revealed)

    /// What replaces a secret field's value (a password hash) in every output.
    package static let withheldMark = "[WITHHELD]"

    /// Fields (entity, field) whose values no interface ever shows, whatever the level.
    package static let secretFields: Set<String> = ["user.passwordHash"]

    /// Fields (entity, field) that hold a phone number as their whole value.
    package static let phoneFields: Set<String> = ["customer.phone"]

    /// Whether stored values are shown in clear.
    package var reveals: Bool { level == .revealed }

    /// A phone number as this disclosure shows it: its last four digits when masked.
    package func phone(_ value: String?) -> String? {
        guard let value else { return nil }
        return reveals ? value : Masking.phone(value)
    }

    /// Free text as this disclosure shows it: ID-card, bank-card and phone numbers redacted when masked.
    package func text(_ value: String) -> String { reveals ? value : Redaction.redact(value) }

    /// Optional free text as this disclosure shows it.
    package func text(_ value: String?) -> String? { value.map(text) }

    /// The value of one replicated field, as audits and conflicts show it: secrets withheld,
    /// phone fields masked, everything else read as free text.
    package func field(entity: String, field: String, value: String?) -> String? {
        guard let value else { return nil }
        let key = "\(entity).\(field)"
        if Self.secretFields.contains(key) { return Self.withheldMark }
        if Self.phoneFields.contains(key) { return phone(value) }
        return text(value)
    }

    /// A ticket with its free-text fields disclosed.
    package func ticket(_ ticket: Ticket) -> Ticket {
        guard !reveals else { return ticket }
        var copy = ticket
        copy.contactPerson = text(ticket.contactPerson)
        copy.summary = text(ticket.summary)
        copy.details = text(ticket.details)
        copy.result = text(ticket.result)
        copy.refs = ticket.refs.mapValues { text($0) as String }
        return copy
    }

    /// A progress-log entry with its body disclosed.
    package func entry(_ entry: Entry) -> Entry {
        guard !reveals else { return entry }
        var copy = entry
        copy.body = text(entry.body)
        return copy
    }

    /// A knowledge-base article with its title and body disclosed.
    package func article(_ article: Article) -> Article {
        guard !reveals else { return article }
        var copy = article
        copy.title = text(article.title)
        copy.body = text(article.body)
        return copy
    }

    /// A customer with the phone masked and free text disclosed.
    package func customer(_ customer: Customer) -> Customer {
        guard !reveals else { return customer }
        var copy = customer
        copy.phone = phone(customer.phone)
        copy.name = text(customer.name)
        copy.contactPerson = text(customer.contactPerson)
        // Mail addresses are often a mobile number at a mail provider (13812345678@qq.com).
        copy.email = text(customer.email)
        copy.industry = text(customer.industry)
        return copy
    }
}
