import KoppelingCore
import KoppelingProtocol

/// Dutch words for the protocol's method names and reason codes, for human
/// output (the audit, refusals); `--json` keeps the codes. A method's label
/// is its descriptor's; the reason switch is exhaustive, so a new reason
/// does not build without its label.
enum MethodLabels {
    /// The label of a method name as the audit stores it (`audit.summary`
    /// is the trail's own row, not a method); the name itself for one this
    /// koppelingctl does not know (a newer daemon).
    static func dutchLabel(of name: String) -> String {
        if name == "audit.summary" { return "samenvatting weigeringen" }
        return Methods.named(name)?.label ?? name
    }
}

extension Reason {
    var dutchLabel: String {
        switch self {
        case .required: "verplicht veld ontbreekt"
        case .tooLong: "te lang"
        case .brin6Format: "BRIN6 ongeldig"
        case .schoolNameRequired: "naam school ontbreekt"
        case .schoolNameTooLong: "naam school te lang"
        case .nameRequired: "uw naam ontbreekt"
        case .nameTooLong: "uw naam te lang"
        case .nameCharacters: "ongeldige tekens in naam"
        case .looksLikeCode: "verificatiecode in naam of reden"
        case .agreementRequired: "geen akkoord"
        case .startDateFormat: "startdatum ongeldig"
        case .startDateInPast: "startdatum in het verleden"
        case .startDateTooFar: "startdatum te ver vooruit"
        case .verificationCodeLength: "verificatiecode: lengte"
        case .verificationCodeCharacters: "verificatiecode: tekens"
        case .verificationCodePrefix: "verificatiecode: begint niet met de BRIN6"
        case .verificationCodeReused: "verificatiecode al gebruikt"
        case .catalogEntryInvalid: "catalogusregel ongeldig"
        case .controlCharacter: "stuurteken in tekst"
        case .endDateFormat: "einddatum ongeldig"
        case .endDateBeforeStart: "einddatum voor startdatum"
        case .termsVersionRequired: "versie voorwaarden ontbreekt"
        case .duplicateInBatch: "dubbel in de lijst"
        case .dateFormat: "datum ongeldig"
        case .limitRange: "aantal buiten bereik"
        case .controllerNumberFormat: "bestuurs- of KvK-nummer onjuist"
        case .emailFormat: "e-mailadres onjuist"
        case .schoolNotFound: "school onbekend"
        case .koppelingNotFound: "koppeling onbekend"
        case .schoolExists: "school bestaat al"
        case .schoolHasActiveKoppelingen: "school heeft actieve koppelingen"
        case .alreadyActive: "al geactiveerd"
        case .koppelingNotActive: "koppeling niet actief"
        case .eckidKeyMismatch: "sleutel past niet bij de verificatiecode"
        case .eckidNotSupported: "geen ECKiD-koppeling"
        case .eckidImportNotFound: "geen ECKiD-import"
        case .eckidAlreadyDisabled: "ECKiD-import al gestopt"
        case .catalogEntryInUse: "koppeling in gebruik"
        case .termsChanged: "voorwaarden intussen gewijzigd"
        case .termsTextChanged: "andere tekst onder bestaande versie"
        case .consentChanged: "andere inhoud onder bestaande versie"
        case .termsAlreadyAccepted: "voorwaarden al geaccepteerd"
        case .verificationCodeWeak: "zwakke verificatiecode"
        case .topdossierNotActive: "TOP dossier niet actief"
        case .recommendedPrerequisiteNotActive: "aanbevolen koppeling niet actief"
        case .endDateReached: "einddatum bereikt"
        case .parseError: "geen geldige JSON"
        case .invalidRequest: "ongeldig verzoek"
        case .duplicateMember: "veld dubbel in verzoek"
        case .methodNotFound: "onbekende methode"
        case .invalidParams: "ongeldige parameters"
        case .unknownParams: "onbekende parameters"
        case .lineTooLong: "regel te lang"
        case .permissionDenied: "geen rechten"
        case .notAMember: "geen lid van een groep"
        case .auditSummary: "samenvatting weigeringen"
        case .databaseBusy: "database bezet"
        case .shuttingDown: "koppelingd stopt"
        case .tooManyConnections: "te veel verbindingen"
        case .scanBusy: "controle al bezig"
        case .storageFailure: "opslag faalt"
        case .storageGone: "registerbestand weg"
        case .storageDamaged: "registerbestand beschadigd"
        case .internalError: "interne fout"
        }
    }

    /// The label of a reason code as stored; the code itself for one this
    /// koppelingctl does not know (a newer daemon).
    static func dutchLabel(of code: String) -> String { Reason(rawValue: code)?.dutchLabel ?? code }
}
