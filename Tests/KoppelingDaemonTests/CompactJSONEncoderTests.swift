import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import Testing

@testable import KoppelingDaemon

/// The reply encoder must write exactly what Foundation's JSONEncoder
/// (sorted keys, slashes unescaped) writes: clients and the documented
/// examples were made against that.
@Suite("CompactJSONEncoder writes what Foundation writes")
struct CompactJSONEncoderTests {
    static func foundation<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func compact<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try CompactJSONEncoder().encode(value), as: UTF8.self)
    }

    static func expectSame<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try foundation(value)
        let got = try compact(value)
        #expect(got == expected, sourceLocation: sourceLocation)
    }

    static let activation = ActivationRecord(
        id: 7,
        school: "21QW00",
        koppeling: "topdossier-eckid",
        koppelingName: "TOP dossier – ECKiD",
        acceptedByName: "Jan \"de\" Vries/ICT\\beheer",
        user: "jan",
        uid: 1000,
        termsVersion: "2024.1",
        termsSha256: String(repeating: "ab", count: 32),
        termsOutdated: true,
        startDate: "2026-12-01",
        endDate: nil,
        verificationCode: "21QW00… (22 tekens)",
        activatedAt: "2026-11-29T09:00:00Z",
        active: false,
        deactivatedAt: "2026-11-30T10:00:00Z",
        deactivatedBy: "piet",
        deactivationReason: nil
    )

    static let eckid = EckidImportRecord(
        school: "21QW00",
        state: .pending,
        activeFrom: "2026-11-30",
        keySetAt: "2026-11-29T09:00:00Z",
        keySetBy: "jan",
        activatedAt: nil,
        disabledAt: nil,
        disabledBy: nil,
        disabledReason: nil
    )

    static let run = TimerRunRecord(
        kind: .scheduled,
        localDay: "2026-11-29",
        startedAt: "2026-11-28T23:00:00Z",
        finishedAt: "2026-11-28T23:00:01Z",
        enabled: 3,
        stopped: 1,
        stoppedDetail: "10AB00",
        ended: 2
    )

    @Test("every kind of reply, byte for byte")
    func replies() throws {
        let school = School(brin6: "21QW00", name: "Basisschool Één/Twee \u{1}\t\n", createdAt: "2026-11-29T09:00:00Z")
        try Self.expectSame(
            RPCSuccess(
                id: .number(-42),
                result: HelloResult(
                    daemon: "koppelingd",
                    version: "0.1.0",
                    protocol: 1,
                    methods: Methods.all.map(\.name)
                )
            )
        )
        try Self.expectSame(
            RPCSuccess(
                id: .string("a/b\"c"),
                result: SchoolDetailResult(
                    school: school,
                    activations: [Self.activation, Self.activation],
                    eckidImport: nil
                )
            )
        )
        try Self.expectSame(
            RPCSuccess(id: .null, result: SchoolDetailResult(school: school, activations: [], eckidImport: Self.eckid))
        )
        try Self.expectSame(
            RPCSuccess(
                id: .number(Int64.max),
                result: OverviewResult(
                    school: school,
                    available: [
                        .init(
                            category: "UWLR Leerlinggegevens",
                            koppelingen: [
                                .init(
                                    id: "topdossier",
                                    name: "TOP dossier",
                                    description: "",
                                    price: "n.v.t.",
                                    dataSet: DataSet(
                                        profile: "UWLR – Smalle set",
                                        fields: [.init(name: "eck_id", description: "De \"ECK iD\"/pseudoniem")]
                                    ),
                                    activated: true
                                )
                            ]
                        )
                    ],
                    activated: [Self.activation]
                )
            )
        )
        try Self.expectSame(
            RPCSuccess(
                id: .number(1),
                result: StatusResult(
                    daemon: "koppelingd",
                    version: "0.1.0",
                    startedAt: "x",
                    uptimeSeconds: 12,
                    database: "/var/lib/koppelingd/koppelingd.db",
                    schemaVersion: 2,
                    timeZone: "Europe/Amsterdam",
                    today: "2026-11-29",
                    counts: .init(
                        schools: 1,
                        catalogEntries: 2,
                        activeKoppelingen: 3,
                        pendingImports: 4,
                        activeImports: 5,
                        termsOutdated: 6
                    ),
                    timer: TimerStatusResult(
                        timeZone: "Europe/Amsterdam",
                        runAt: "00:05",
                        lastRun: Self.run,
                        lastScheduledRun: nil,
                        nextRun: "2026-11-29T23:05:00Z",
                        nextRunLocal: "2026-11-30 00:05"
                    ),
                    endingSoon: [Self.activation]
                )
            )
        )
        try Self.expectSame(
            RPCSuccess(
                id: .number(2),
                result: AuditListResult(entries: [
                    AuditEntry(
                        id: 1,
                        at: "t",
                        user: "u",
                        uid: 0,
                        method: "koppeling.activate",
                        school: nil,
                        koppeling: "k",
                        outcome: .refused,
                        reasons: ["code_too_short", "terms_not_accepted"],
                        detail: ""
                    )
                ])
            )
        )
        try Self.expectSame(
            RPCSuccess(
                id: .number(3),
                result: SetKeyResult(
                    state: .pending,
                    activeFrom: "2026-11-30",
                    changed: true,
                    warnings: [Warning(reason: .topdossierNotActive, message: "let op")],
                    import: Self.eckid
                )
            )
        )
        try Self.expectSame(RPCSuccess(id: .number(4), result: [String: Int]()))
        try Self.expectSame(
            RPCSuccess(id: .number(5), result: ["zeta": 1, "alpha": 2, "Beta": 3, "beta_2": 4, "é": 5])
        )
    }

    @Test("errors, with and without violations")
    func errors() throws {
        try Self.expectSame(
            RPCFailure(id: .null, error: RPCError(code: -32700, reason: .parseError, message: "Geen JSON."))
        )
        try Self.expectSame(
            RPCFailure(
                id: .string("x"),
                error: RPCError(
                    KoppelingError.rules([
                        Violation(
                            field: "verification_code",
                            reason: .verificationCodeLength,
                            message: "Te kort: \"abc\"."
                        ),
                        Violation(field: "accepted_terms", reason: .agreementRequired, message: "Niet akkoord."),
                    ])
                )
            )
        )
    }

    @Test("every string: ASCII, controls, line separators, astral characters")
    func strings() throws {
        var samples = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        samples += ["", "é", "\u{2028}", "\u{2029}", "\u{FEFF}", "👩🏽‍🏫", "e\u{301}", "\u{10FFFF}", "</script>", "a\\/b"]
        for s in samples {
            try Self.expectSame([s])
            try Self.expectSame([s: s])
        }
    }

    @Test("what it leaves to Foundation throws, and ReplyEncoding then gives Foundation's bytes")
    func fallBack() throws {
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder().encode([1.5]) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder().encode(SuperEncoding()) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder().encode(AheadOfUse()) }
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder().encode(TwiceTheKey()) }
        let value = RPCSuccess(id: .number(1), result: JSONValue.object(["n": .number(0.1), "i": .integer(3)]))
        #expect(String(buffer: try ReplyEncoding.encode(value)) == (try Self.foundation(value)))
    }

    @Test("a value that asks for its container twice writes one object")
    func containerTwice() throws {
        try Self.expectSame(TwoContainerCalls())
        try Self.expectSame([EmptyValue(), EmptyValue()])
    }

    struct SuperEncoding: Encodable {
        enum K: CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try "x".encode(to: c.superEncoder(forKey: .a))
        }
    }

    struct AheadOfUse: Encodable {
        enum K: CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            var nested = c.nestedUnkeyedContainer(forKey: .a)
            try c.encode(1, forKey: .b)
            try nested.encode(2)
        }
    }

    struct TwiceTheKey: Encodable {
        enum K: CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(1, forKey: .a)
            try c.encode(2, forKey: .a)
        }
    }

    struct TwoContainerCalls: Encodable {
        enum K: CodingKey { case b, a }
        func encode(to encoder: any Encoder) throws {
            var first = encoder.container(keyedBy: K.self)
            try first.encode("one", forKey: .b)
            var second = encoder.container(keyedBy: K.self)
            try second.encode("two", forKey: .a)
        }
    }

    struct EmptyValue: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }
}
