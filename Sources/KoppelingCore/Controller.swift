/// The controller (*verwerkingsverantwoordelijke*, AVG article 30(1)(a)):
/// the school board (bestuur) that the vestigingen belong to, and its
/// privacy officer (*functionaris gegevensbescherming*). One per register,
/// set by an administrator; the export heads every record with it.
public struct Controller: Sendable, Equatable, Codable {
    public struct PrivacyOfficer: Sendable, Equatable, Codable {
        public var name: String
        public var email: String

        public init(name: String, email: String) {
            self.name = name
            self.email = email
        }
    }

    /// The bestuur's name.
    public var name: String
    /// Its bestuursnummer (5 digits, DUO) or KvK number (8 digits).
    public var number: String
    public var address: String
    /// How to reach the bestuur about the register (a phone number or an
    /// e-mail address).
    public var contact: String
    public var privacyOfficer: PrivacyOfficer

    public init(name: String, number: String, address: String, contact: String, privacyOfficer: PrivacyOfficer) {
        self.name = name
        self.number = number
        self.address = address
        self.contact = contact
        self.privacyOfficer = privacyOfficer
    }

    enum CodingKeys: String, CodingKey {
        case name, number, address, contact
        case privacyOfficer = "privacy_officer"
    }

    public static let maxLength = 200

    /// The controller as stored: every text trimmed and checked; every
    /// failing field reported (`KoppelingError.rules`).
    public static func validated(_ raw: Controller) throws -> Controller {
        var v: [Violation] = []
        func text(_ value: String, _ field: String, _ label: String) -> String {
            let t = value.trimmingWhitespace()
            if t.isEmpty {
                v.append(Violation(field: field, reason: .required, message: "\(label) is verplicht."))
            } else if t.unicodeScalars.count > maxLength {
                v.append(
                    Violation(field: field, reason: .tooLong, message: "\(label) mag hoogstens \(maxLength) tekens lang zijn.")
                )
            } else if let m = CatalogRules.controlCharacterMessage(t, field: field, lineBreaksAllowed: false) {
                v.append(Violation(field: field, reason: .controlCharacter, message: m))
            } else if let refusal = TextRules.codeRefusal(t, field: field, label: label, codes: []) {
                v.append(refusal)
            }
            return t
        }
        let c = Controller(
            name: text(raw.name, "name", "De naam van het bestuur"),
            number: text(raw.number, "number", "Het bestuursnummer of KvK-nummer"),
            address: text(raw.address, "address", "Het adres"),
            contact: text(raw.contact, "contact", "Het contact"),
            privacyOfficer: PrivacyOfficer(
                name: text(raw.privacyOfficer.name, "privacy_officer.name", "De naam van de FG"),
                email: text(raw.privacyOfficer.email, "privacy_officer.email", "Het e-mailadres van de FG")
            )
        )
        let digits = c.number.utf8
        if !digits.isEmpty, !(digits.allSatisfy(\.isASCIIDigit) && (digits.count == 5 || digits.count == 8)) {
            v.append(
                Violation(
                    field: "number",
                    reason: .controllerNumberFormat,
                    message: "Geef het bestuursnummer (5 cijfers) of het KvK-nummer (8 cijfers) van het bestuur."
                )
            )
        }
        if !c.privacyOfficer.email.isEmpty, !isEmailAddress(c.privacyOfficer.email) {
            v.append(
                Violation(
                    field: "privacy_officer.email",
                    reason: .emailFormat,
                    message: "Het e-mailadres van de FG heeft de vorm naam@domein.nl."
                )
            )
        }
        // One message per field: the first rule a field fails.
        var seen: Set<String> = []
        let firsts = v.filter { seen.insert($0.field).inserted }
        if !firsts.isEmpty { throw KoppelingError.rules(firsts) }
        return c
    }

    /// A plain address: one `@`, something before it, a dotted domain
    /// after it, no spaces. Deliverability is the officer's to check.
    static func isEmailAddress(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !s.contains(" ") else { return false }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return domain.count >= 2 && domain.allSatisfy { !$0.isEmpty }
    }
}

/// The controller as the register keeps it: who set it, and when.
public struct ControllerRecord: Sendable, Equatable, Codable {
    public var controller: Controller
    public var setAt: String
    public var setBy: String

    public init(controller: Controller, setAt: String, setBy: String) {
        self.controller = controller
        self.setAt = setAt
        self.setBy = setBy
    }

    enum CodingKeys: String, CodingKey {
        case controller
        case setAt = "set_at"
        case setBy = "set_by"
    }
}
