import Foundation
import Testing

@testable import KoppelingCore

/// Replies carry every key of their type: an absent optional is `null`,
/// not left out (what synthesized `Codable` would do).
@Suite("Optional members a reply always carries")
struct NullWhenAbsentTests {
    static let activeRecord = ActivationRecord(
        id: 1,
        school: "21QW00",
        koppeling: "topdossier",
        koppelingName: "TOP dossier",
        acceptedByName: "J. de Vries",
        user: "root",
        uid: 0,
        termsVersion: "2024.1",
        termsSha256: nil,
        termsOutdated: false,
        startDate: "2026-12-01",
        endDate: nil,
        verificationCode: "21QW00… (21 tekens)",
        activatedAt: "2026-12-01T10:00:00Z",
        active: true,
        deactivatedAt: nil,
        deactivatedBy: nil,
        deactivationReason: nil
    )

    static func object(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func absentMembersAreWrittenAsNull() throws {
        let o = try Self.object(Self.activeRecord)
        for key in ["deactivated_at", "deactivated_by", "deactivation_reason", "terms_sha256", "end_date"] {
            #expect(o.keys.contains(key), "\(key) is left out")
            #expect(o[key] is NSNull, "\(key) is not null")
        }
    }

    @Test func presentMembersAreWrittenAsTheirValue() throws {
        var ended = Self.activeRecord
        ended.deactivatedAt = "2026-12-02T10:00:00Z"
        #expect(try Self.object(ended)["deactivated_at"] as? String == "2026-12-02T10:00:00Z")
    }

    @Test func decodingAcceptsTheMemberNullOrMissing() throws {
        let encoded = try JSONEncoder().encode(Self.activeRecord)
        var o = try #require(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(try JSONDecoder().decode(ActivationRecord.self, from: encoded) == Self.activeRecord)
        o.removeValue(forKey: "deactivated_by")
        let missing = try JSONSerialization.data(withJSONObject: o)
        #expect(try JSONDecoder().decode(ActivationRecord.self, from: missing) == Self.activeRecord)
    }
}
