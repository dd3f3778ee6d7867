/// One available koppeling in the catalogue.
public struct CatalogEntry: Sendable, Equatable, Codable {
    public var id: String
    public var category: String
    public var name: String
    public var description: String
    public var supplier: String
    /// In euro cents; `nil` is shown as "n.v.t.".
    @NullWhenAbsent public var priceCents: Int?
    public var termsText: String
    public var termsVersion: String
    @NullWhenAbsent public var recommendedPrerequisite: String?
    public var carriesEckidImport: Bool

    public init(
        id: String,
        category: String,
        name: String,
        description: String,
        supplier: String,
        priceCents: Int?,
        termsText: String,
        termsVersion: String,
        recommendedPrerequisite: String?,
        carriesEckidImport: Bool
    ) {
        self.id = id
        self.category = category
        self.name = name
        self.description = description
        self.supplier = supplier
        self.priceCents = priceCents
        self.termsText = termsText
        self.termsVersion = termsVersion
        self.recommendedPrerequisite = recommendedPrerequisite
        self.carriesEckidImport = carriesEckidImport
    }

    enum CodingKeys: String, CodingKey {
        case id, category, name, description, supplier
        case priceCents = "price_cents"
        case termsText = "terms_text"
        case termsVersion = "terms_version"
        case recommendedPrerequisite = "recommended_prerequisite"
        case carriesEckidImport = "carries_eckid_import"
    }

    /// The price as the LAS shows it: "n.v.t." or "€ 12,50".
    public var priceText: String { Price.text(cents: priceCents) }
}

public enum Price {
    public static func text(cents: Int?) -> String {
        guard let cents else { return "n.v.t." }
        let c = cents % 100
        return "€ \(cents / 100),\(c < 10 ? "0" : "")\(c)"
    }
}

public enum CatalogRules {
    /// A slug: lower-case letters, digits and single hyphens, 2–64 long.
    public static func isSlug(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (2...64).contains(u.count), u.first != 0x2D, u.last != 0x2D else { return false }
        var previousHyphen = false
        for b in u {
            let hyphen = b == 0x2D
            guard b.isASCIIDigit || b.isASCIILower || hyphen, !(hyphen && previousHyphen) else { return false }
            previousHyphen = hyphen
        }
        return true
    }

    /// Checks one entry; `field` prefixes the field names (`entries[3].id`).
    /// `knownIds` are the ids a prerequisite may name.
    public static func validate(_ e: CatalogEntry, field: String, knownIds: Set<String>) -> [Violation] {
        var v: [Violation] = []
        func bad(_ f: String, _ m: String) {
            v.append(Violation(field: "\(field).\(f)", reason: .catalogEntryInvalid, message: m))
        }
        if !isSlug(e.id) {
            bad(
                "id",
                "Het id '\(e.id.masked)' moet bestaan uit kleine letters, cijfers en koppeltekens (2-64 tekens)."
            )
        }
        for (f, value, max) in [
            ("category", e.category, 100), ("name", e.name, 200), ("supplier", e.supplier, 200),
            ("description", e.description, 2000), ("terms_version", e.termsVersion, 50),
        ] {
            let t = value.trimmingWhitespace()
            if t.isEmpty {
                bad(f, "Het veld '\(f)' is verplicht.")
            } else if t.count > max {
                bad(f, "Het veld '\(f)' mag hoogstens \(max) tekens lang zijn.")
            }
        }
        if e.termsText.trimmingWhitespace().isEmpty {
            bad("terms_text", "De tekst van de gebruikersvoorwaarden is verplicht.")
        }
        if e.termsText.utf8.count > 200_000 {
            bad("terms_text", "De gebruikersvoorwaarden mogen hoogstens 200.000 bytes lang zijn.")
        }
        if let p = e.priceCents, p < 0 || p > 100_000_000 {
            bad("price_cents", "De prijs moet tussen 0 en 1.000.000 euro liggen (in centen).")
        }
        if let pre = e.recommendedPrerequisite {
            if pre == e.id {
                bad("recommended_prerequisite", "Een koppeling kan niet zichzelf als voorwaarde aanbevelen.")
            } else if !knownIds.contains(pre) {
                bad(
                    "recommended_prerequisite",
                    "De aanbevolen koppeling '\(pre.masked)' staat niet in de catalogus."
                )
            }
        }
        return v
    }
}
