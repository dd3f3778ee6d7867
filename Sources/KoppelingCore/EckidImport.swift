/// The TOP dossier ECKiD import of one school (steps 5–6).
public enum EckidImportState: String, Sendable, Codable {
    case pending, active, disabled
}

public enum EckidRules {
    /// The import is active from the day after the key was entered, and
    /// not before the activation's start date.
    public static func activeFrom(today: LocalDate, activationStart: LocalDate) -> LocalDate {
        max(today.adding(days: 1), activationStart)
    }

    public static let catalogId = "topdossier-eckid"
    public static let standardCatalogId = "topdossier"

    public static let missingStandardKoppelingWarning = Warning(
        reason: .topdossierNotActive,
        message:
            "De standaard koppeling TOP dossier is voor deze school nog niet geactiveerd. Wij raden u aan deze eerst te activeren (stap 5); de sleutel is wel opgeslagen."
    )
}
