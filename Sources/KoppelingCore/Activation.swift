/// What `koppeling.activate` carries: decoded from the request's params
/// as it is (the one type for the wire and the rules), and never printed
/// with its code.
public struct ActivationInput: Sendable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var school: String
    public var koppeling: String
    public var name: String
    public var agree: Bool
    /// The terms version the person was shown and agrees to.
    public var termsVersion: String
    public var verificationCode: String
    public var startDate: String?
    public var endDate: String?

    public init(
        school: String,
        koppeling: String,
        name: String,
        agree: Bool,
        termsVersion: String,
        verificationCode: String,
        startDate: String?,
        endDate: String? = nil
    ) {
        self.school = school
        self.koppeling = koppeling
        self.name = name
        self.agree = agree
        self.termsVersion = termsVersion
        self.verificationCode = verificationCode
        self.startDate = startDate
        self.endDate = endDate
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case school = "brin6"
        case koppeling, name, agree
        case termsVersion = "terms_version"
        case verificationCode = "verification_code"
        case startDate = "start_date"
        case endDate = "end_date"
    }

    // Unchecked, even the first six characters may be secret: show the length only.
    private var hiddenCode: String { "<verborgen, \(verificationCode.unicodeScalars.count) tekens>" }

    public var description: String {
        "ActivationInput(school: \(school.debugDescription), koppeling: \(koppeling.debugDescription), "
            + "name: \(name.debugDescription), agree: \(agree), termsVersion: \(termsVersion.debugDescription), "
            + "verificationCode: \(hiddenCode), startDate: \(startDate.map(\.debugDescription) ?? "nil"), "
            + "endDate: \(endDate.map(\.debugDescription) ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "school": school, "koppeling": koppeling, "name": name, "agree": agree,
                "termsVersion": termsVersion, "verificationCode": hiddenCode, "startDate": startDate as Any,
                "endDate": endDate as Any,
            ]
        )
    }
}

/// An activation request that passed every rule that needs no stored state.
public struct ValidatedActivation: Sendable {
    /// One school's activation under a consent already checked.
    public init(consent: ActivationRules.Consent, school: Brin6, code: VerificationCode) {
        self.init(
            school: school,
            koppeling: consent.koppeling,
            acceptedByName: consent.name,
            termsVersion: consent.termsVersion,
            startDate: consent.startDate,
            endDate: consent.endDate,
            code: code
        )
    }

    init(
        school: Brin6,
        koppeling: String,
        acceptedByName: String,
        termsVersion: String,
        startDate: LocalDate,
        endDate: LocalDate?,
        code: VerificationCode
    ) {
        self.school = school
        self.koppeling = koppeling
        self.acceptedByName = acceptedByName
        self.termsVersion = termsVersion
        self.startDate = startDate
        self.endDate = endDate
        self.code = code
    }

    public let school: Brin6
    public let koppeling: String
    public let acceptedByName: String
    public let termsVersion: String
    public let startDate: LocalDate
    /// The last day it is active; the daily run after it ends it.
    public let endDate: LocalDate?
    public let code: VerificationCode
}

public enum ActivationRules {
    /// The latest start date: the same day two years ahead (29 February
    /// becomes 28 February). Further out is a typo (`2062` for `2026`), and
    /// its ECKiD import would wait for years.
    public static func latestStartDate(today: LocalDate) -> LocalDate {
        LocalDate(year: today.year + 2, month: today.month, day: today.day)
            ?? LocalDate(year: today.year + 2, month: today.month, day: today.day - 1)
            ?? today.adding(days: 730)
    }

    /// Checks every input rule at once and reports all that fail. `today`
    /// is the local date in the daemon's zone.
    public static func validate(
        _ input: ActivationInput,
        today: LocalDate
    ) -> Result<ValidatedActivation, KoppelingError> {
        var violations: [Violation] = []
        let school: Brin6?
        switch Brin6.parse(input.school) {
        case .success(let b): school = b
        case .failure(let v):
            school = nil
            violations.append(v)
        }
        let consent = validateConsent(
            koppeling: input.koppeling,
            name: input.name,
            agree: input.agree,
            termsVersion: input.termsVersion,
            startDate: input.startDate,
            endDate: input.endDate,
            codes: [input.verificationCode],
            today: today,
            into: &violations
        )
        var code: VerificationCode?
        if let school {
            switch VerificationCode.validate(input.verificationCode, for: school) {
            case .success(let c): code = c
            case .failure(let e): violations += e.violations
            }
        } else {
            // Without a valid school the prefix cannot be judged; the
            // other rules on the code still are.
            let placeholder = Brin6(unchecked: String(input.verificationCode.prefix(6)).asciiUppercased)
            if case .failure(let e) = VerificationCode.validate(input.verificationCode, for: placeholder) {
                violations += e.violations.filter { $0.reason != .verificationCodePrefix }
            }
        }
        guard violations.isEmpty, let school, let code else { return .failure(.rules(violations)) }
        return .success(
            ValidatedActivation(
                school: school,
                koppeling: consent.koppeling,
                acceptedByName: consent.name,
                termsVersion: consent.termsVersion,
                startDate: consent.startDate,
                endDate: consent.endDate,
                code: code
            )
        )
    }

    /// One row of a board's activation: its school and its code, with
    /// every rule that fails (the code's prefix judged only against a
    /// well-formed school). The fields are `brin6` and `verification_code`.
    public static func validateRow(
        brin6 rawSchool: String,
        verificationCode rawCode: String
    ) -> Result<(Brin6, VerificationCode), KoppelingError> {
        switch Brin6.parse(rawSchool) {
        case .success(let school):
            return VerificationCode.validate(rawCode, for: school).map { (school, $0) }
        case .failure(let v):
            let placeholder = Brin6(unchecked: String(rawCode.prefix(6)).asciiUppercased)
            var violations = [v]
            if case .failure(let e) = VerificationCode.validate(rawCode, for: placeholder) {
                violations += e.violations.filter { $0.reason != .verificationCodePrefix }
            }
            return .failure(.rules(violations))
        }
    }

    /// What one person agrees to, for one school or many: the koppeling,
    /// *Uw naam*, *Voor akkoord*, the terms version shown and the dates.
    public struct Consent: Sendable {
        public var koppeling: String
        public var name: String
        public var termsVersion: String
        public var startDate: LocalDate
        public var endDate: LocalDate?
    }

    /// Checks the consent's rules, appending every failure to `violations`.
    /// `codes` are the verification codes of the request, which *Uw naam*
    /// may not hold.
    public static func validateConsent(
        koppeling rawKoppeling: String,
        name rawName: String,
        agree: Bool,
        termsVersion rawTermsVersion: String,
        startDate rawStartDate: String?,
        endDate rawEndDate: String?,
        codes: [String] = [],
        today: LocalDate,
        into violations: inout [Violation]
    ) -> Consent {
        let koppeling = CatalogRules.normalisedId(rawKoppeling)
        if koppeling.isEmpty {
            violations.append(Violation(field: "koppeling", reason: .required, message: "Kies een koppeling."))
        }
        var name = ""
        switch TextRules.personName(rawName, codes: codes) {
        case .success(let n): name = n
        case .failure(let v): violations.append(v)
        }
        if !agree {
            violations.append(
                Violation(
                    field: "agree",
                    reason: .agreementRequired,
                    message:
                        "Vink 'Voor akkoord' aan: zonder akkoord met de gebruikersvoorwaarden kan de koppeling niet worden geactiveerd."
                )
            )
        }
        var startDate = today
        if let raw = rawStartDate {
            if let d = LocalDate(iso: raw.trimmingWhitespace()) {
                startDate = d
                if d < today {
                    violations.append(
                        Violation(
                            field: "start_date",
                            reason: .startDateInPast,
                            message: "De startdatum \(d) ligt in het verleden; kies vandaag (\(today)) of later."
                        )
                    )
                } else if ActivationRules.latestStartDate(today: today) < d {
                    violations.append(
                        Violation(
                            field: "start_date",
                            reason: .startDateTooFar,
                            message:
                                "De startdatum \(d) ligt meer dan twee jaar vooruit; kies uiterlijk \(ActivationRules.latestStartDate(today: today))."
                        )
                    )
                }
            } else {
                violations.append(
                    Violation(
                        field: "start_date",
                        reason: .startDateFormat,
                        message: "De startdatum moet een bestaande datum zijn in de vorm JJJJ-MM-DD."
                    )
                )
            }
        }
        let termsVersion = rawTermsVersion.trimmingWhitespace()
        if termsVersion.isEmpty {
            violations.append(
                Violation(
                    field: "terms_version",
                    reason: .termsVersionRequired,
                    message: "Geef de versie van de gebruikersvoorwaarden die u heeft gelezen (terms_version)."
                )
            )
        }
        var endDate: LocalDate?
        if let raw = rawEndDate {
            if let d = LocalDate(iso: raw.trimmingWhitespace()) {
                endDate = d
                if d < startDate {
                    violations.append(
                        Violation(
                            field: "end_date",
                            reason: .endDateBeforeStart,
                            message:
                                "De einddatum \(d) ligt voor de startdatum \(startDate); kies \(startDate) of later."
                        )
                    )
                }
            } else {
                violations.append(
                    Violation(
                        field: "end_date",
                        reason: .endDateFormat,
                        message: "De einddatum moet een bestaande datum zijn in de vorm JJJJ-MM-DD."
                    )
                )
            }
        }
        return Consent(
            koppeling: koppeling,
            name: name,
            termsVersion: termsVersion,
            startDate: startDate,
            endDate: endDate
        )
    }
}
