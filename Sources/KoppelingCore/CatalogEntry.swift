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
    public var dataSet: DataSet
    /// *Doel van de verwerking*.
    public var purpose: String
    @NullWhenAbsent public var processorAgreement: ProcessorAgreement?
    /// The other facts of the record of processing (AVG article 30(1)),
    /// each a Dutch text from the supplier, or nil when the catalogue file
    /// gives none (the export then names it as a gap):
    /// *grondslag* (the legal basis),
    @NullWhenAbsent public var legalBasis: String?
    /// *bewaartermijn* (when the data is erased),
    @NullWhenAbsent public var retention: String?
    /// the recipients: the processor's legal entity and its sub-processors,
    @NullWhenAbsent public var recipients: String?
    /// where the data is kept, and any transfer outside the EEA with its
    /// safeguard (or that there is none),
    @NullWhenAbsent public var transfers: String?
    /// and where the supplier describes its security measures.
    @NullWhenAbsent public var security: String?

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
        carriesEckidImport: Bool,
        dataSet: DataSet,
        purpose: String,
        processorAgreement: ProcessorAgreement?,
        legalBasis: String? = nil,
        retention: String? = nil,
        recipients: String? = nil,
        transfers: String? = nil,
        security: String? = nil
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
        self.dataSet = dataSet
        self.purpose = purpose
        self.processorAgreement = processorAgreement
        self.legalBasis = legalBasis
        self.retention = retention
        self.recipients = recipients
        self.transfers = transfers
        self.security = security
    }

    enum CodingKeys: String, CodingKey {
        case id, category, name, description, supplier
        case priceCents = "price_cents"
        case termsText = "terms_text"
        case termsVersion = "terms_version"
        case recommendedPrerequisite = "recommended_prerequisite"
        case carriesEckidImport = "carries_eckid_import"
        case dataSet = "data_set"
        case purpose
        case processorAgreement = "processor_agreement"
        case legalBasis = "legal_basis"
        case retention, recipients, transfers, security
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
    /// A koppeling id as a request names it: trimmed, and `A`-`Z` folded
    /// to `a`-`z` only. Unicode case mapping would let the Kelvin sign
    /// (U+212A) stand for `k` and find `topdossier-eckid` under another
    /// spelling than the one the audit and the register show.
    public static func normalisedId(_ raw: String) -> String {
        raw.trimmingWhitespace().asciiLowercased
    }

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
        if e.purpose.trimmingWhitespace().isEmpty {
            bad("purpose", "Het doel van de verwerking ('purpose') is verplicht.")
        } else if e.purpose.count > 2000 {
            bad("purpose", "Het doel van de verwerking mag hoogstens 2000 tekens lang zijn.")
        }
        let profile = e.dataSet.profile.trimmingWhitespace()
        if profile.isEmpty {
            bad("data_set.profile", "Het UWLR-profiel van de gegevensset is verplicht.")
        } else if profile.count > 200 {
            bad("data_set.profile", "Het profiel mag hoogstens 200 tekens lang zijn.")
        }
        if e.dataSet.fields.isEmpty {
            bad("data_set.fields", "Noem de velden die de leerlingadministratie verlaten (minstens één).")
        } else if e.dataSet.fields.count > 200 {
            bad("data_set.fields", "De gegevensset mag hoogstens 200 velden noemen.")
        }
        var fieldNames: Set<String> = []
        for (i, f) in e.dataSet.fields.prefix(200).enumerated() {
            let name = f.name.trimmingWhitespace()
            if name.isEmpty || name.count > 100 {
                bad("data_set.fields[\(i)].name", "Elk veld heeft een naam van 1 tot 100 tekens.")
            } else if !fieldNames.insert(name).inserted {
                bad("data_set.fields[\(i)].name", "Het veld '\(name.masked)' komt meer dan eens voor.")
            }
            if f.description.trimmingWhitespace().isEmpty || f.description.count > 500 {
                bad(
                    "data_set.fields[\(i)].description",
                    "Elk veld heeft een Nederlandse omschrijving van 1 tot 500 tekens."
                )
            }
        }
        if let agreement = e.processorAgreement {
            for (f, value) in [("name", agreement.name), ("version", agreement.version)] {
                let t = value.trimmingWhitespace()
                if t.isEmpty || t.count > 200 {
                    bad(
                        "processor_agreement.\(f)",
                        "De verwerkersovereenkomst heeft een naam en een versie (elk 1 tot 200 tekens), of is null."
                    )
                }
            }
        }
        for (f, value) in e.processingFacts {
            guard let value else { continue }
            let t = value.trimmingWhitespace()
            if t.isEmpty || t.count > 2000 {
                bad(f, "Het veld '\(f)' is een tekst van 1 tot 2000 tekens, of null als de leverancier het niet opgeeft.")
            }
        }
        for (i, f) in e.dataSet.fields.prefix(200).enumerated() {
            guard let subjects = f.dataSubjects else { continue }
            if subjects.isEmpty || subjects.count > 10 {
                bad(
                    "data_set.fields[\(i)].data_subjects",
                    "Noem van wie het veld gegevens bevat (1 tot 10 categorieën, zoals leerling, leerkracht, ouder), of null."
                )
            }
            for (j, s) in subjects.enumerated() where !DataSet.isSubjectCategory(s) {
                bad(
                    "data_set.fields[\(i)].data_subjects[\(j)]",
                    "Een categorie betrokkenen is een woord van kleine letters (zoals leerling, leerkracht, ouder), 2 tot 40 tekens."
                )
            }
        }
        for (f, text) in e.texts {
            if let message = controlCharacterMessage(text, field: f, lineBreaksAllowed: f == "terms_text") {
                v.append(Violation(field: "\(field).\(f)", reason: .controlCharacter, message: message))
            }
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

    /// Why `text` may not be shown on a terminal, or nil. Refused: C0 and
    /// C1 control characters, DEL (ESC among them: `\e[2J` would clear an
    /// administrator's screen) and the bidirectional and line-separator
    /// controls (they reorder or split what is shown). A terms text keeps
    /// its layout: line feeds, tabs, and a carriage return only as part of
    /// a Windows line break (alone it returns to the start of the line and
    /// overwrites it).
    public static func controlCharacterMessage(_ text: String, field: String, lineBreaksAllowed: Bool) -> String? {
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            let allowed =
                lineBreaksAllowed
                && (s == "\n" || s == "\t" || (s == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n"))
            if allowed { continue }
            if s.properties.generalCategory == .control || s.isLayoutControl {
                let hex = String(s.value, radix: 16, uppercase: true)
                let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                return "Het veld '\(field)' bevat een stuurteken (U+\(code), teken \(i + 1)); "
                    + (lineBreaksAllowed
                        ? "alleen regeleinden en tabs zijn toegestaan."
                        : "stuurtekens en regeleinden zijn hier niet toegestaan.")
            }
        }
        return nil
    }
}

extension CatalogEntry {
    /// Every text of the entry that a terminal may show, by field name.
    var texts: [(String, String)] {
        var all: [(String, String)] = [
            ("id", id), ("category", category), ("name", name), ("description", description),
            ("supplier", supplier), ("terms_text", termsText), ("terms_version", termsVersion),
            ("purpose", purpose), ("data_set.profile", dataSet.profile),
        ]
        if let recommendedPrerequisite { all.append(("recommended_prerequisite", recommendedPrerequisite)) }
        for (i, f) in dataSet.fields.enumerated() {
            all.append(("data_set.fields[\(i)].name", f.name))
            all.append(("data_set.fields[\(i)].description", f.description))
        }
        if let processorAgreement {
            all.append(("processor_agreement.name", processorAgreement.name))
            all.append(("processor_agreement.version", processorAgreement.version))
        }
        for case (let f, let value?) in processingFacts { all.append((f, value)) }
        return all
    }

    /// The article-30 facts beside the data set, by wire name, in the order
    /// the record shows them.
    public var processingFacts: [(String, String?)] {
        [
            ("legal_basis", legalBasis), ("retention", retention), ("recipients", recipients),
            ("transfers", transfers), ("security", security),
        ]
    }
}
