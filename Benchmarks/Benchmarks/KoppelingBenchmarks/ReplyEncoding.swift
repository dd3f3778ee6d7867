import Benchmark
import KoppelingCore
import KoppelingProtocol

@testable import KoppelingDaemon

/// `ReplyEncoding`: a result or an error to the reply line's bytes.
enum ReplyEncodingBenchmarks {
    static func register() {
        Benchmark("ReplyEncoding.success: school.get") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try ReplyEncoding.success(id: .number(14), result: Fixtures.schoolGet))
            }
        }
        Benchmark("ReplyEncoding.success: koppeling.overview") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try ReplyEncoding.success(id: .number(11), result: Fixtures.overview))
            }
        }
        Benchmark("ReplyEncoding.failure: school_not_found") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ReplyEncoding.failure(id: .number(14), error: Fixtures.notFound))
            }
        }
        Benchmark("ReplyEncoding.failure: parse error") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ReplyEncoding.failure(id: .null, error: Fixtures.parseError))
            }
        }
        Benchmark("ReplyEncoding.failure: activation, 6 violations") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ReplyEncoding.failure(id: .number(9), error: Fixtures.sixViolations))
            }
        }
    }
}

/// The results and errors of the replies in docs/protocol.md.
enum Fixtures {
    static let school = School(brin6: "21QW00", name: "OBS De Regenboog", createdAt: "2026-11-29T06:01:11Z")

    static let activation = ActivationRecord(
        id: 1,
        school: "21QW00",
        koppeling: "topdossier-eckid",
        koppelingName: "TOP Dossier – ECKiD",
        acceptedByName: "J. de Vries",
        user: "root",
        uid: 0,
        termsVersion: "2024.1",
        termsSha256: nil,
        termsOutdated: false,
        startDate: "2026-11-29",
        endDate: nil,
        verificationCode: "21QW00… (22 tekens)",
        activatedAt: "2026-11-29T06:01:11Z",
        active: true,
        deactivatedAt: nil,
        deactivatedBy: nil,
        deactivationReason: nil
    )

    static let schoolGet = SchoolDetailResult(
        school: school,
        activations: [activation],
        eckidImport: EckidImportRecord(
            school: "21QW00",
            state: .pending,
            activeFrom: "2026-11-30",
            keySetAt: "2026-11-29T06:01:11Z",
            keySetBy: "root",
            activatedAt: nil,
            disabledAt: nil,
            disabledBy: nil,
            disabledReason: nil
        )
    )

    static let dataSet = DataSet(
        profile: "UWLR Leerlinggegevens – Smalle set",
        fields: [
            .init(name: "leerlingnummer", description: "Het leerlingnummer uit de leerlingadministratie"),
            .init(name: "eck_id", description: "De ECK iD van de leerling"),
        ]
    )

    static let overview = OverviewResult(
        school: school,
        available: [
            .init(
                category: "Bibliotheek",
                koppelingen: [
                    .init(
                        id: "bibliotheek-op-school",
                        name: "Bibliotheek op school",
                        description: "Leerlinggegevens voor het uitlenen van boeken in de schoolbibliotheek",
                        price: "€ 12,50",
                        dataSet: Self.dataSet,
                        activated: false
                    )
                ]
            ),
            .init(
                category: "UWLR Leerlinggegevens",
                koppelingen: [
                    .init(
                        id: "topdossier",
                        name: "TOP dossier",
                        description: "UWLR koppeling voor het uitwisselen van leerlinggegevens met TOP dossier",
                        price: "n.v.t.",
                        dataSet: Self.dataSet,
                        activated: false
                    ),
                    .init(
                        id: "topdossier-eckid",
                        name: "TOP Dossier – ECKiD",
                        description: "UWLR koppeling waarin het leerlingnummer & ECK-Id meegeleverd wordt",
                        price: "n.v.t.",
                        dataSet: Self.dataSet,
                        activated: true
                    ),
                ]
            ),
        ],
        activated: [activation]
    )

    static let notFound = RPCError(
        .notFound(
            Violation(
                field: "brin6",
                reason: .schoolNotFound,
                message: "School 21QW00 is niet geregistreerd."
            )
        )
    )

    /// The `-32700` reply to a line that is not JSON (the message as the
    /// daemon writes it).
    static let parseError = RPCError(
        code: RPCErrorCode.parseError,
        reason: .parseError,
        message: "De regel is geen geldige JSON (UTF-8, één object per regel)."
    )

    /// The refusal of the badly filled-in activation dialog (all six rules
    /// broken), as the rules produce it.
    static let sixViolations: RPCError = {
        guard
            case .failure(let error) = ActivationRules.validate(
                ValidationBenchmarks.invalidActivation,
                today: ValidationBenchmarks.today
            )
        else {
            fatalError("the invalid activation passed the rules")
        }
        return RPCError(error)
    }()
}
