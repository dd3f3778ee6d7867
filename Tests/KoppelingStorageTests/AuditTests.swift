import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

@Suite struct AuditTests {
    @Test func newestFirstAndFiltered() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            defer { register.close() }
            let viewer = Caller(user: "lezer", uid: 2002, mayChange: false)
            try register.write {
                try register.appendAudit(
                    at: "2026-03-10T08:00:00Z",
                    caller: Fixture.admin,
                    method: "school.add",
                    school: "21QW00",
                    koppeling: nil,
                    outcome: .ok,
                    reasons: [],
                    detail: ""
                )
            }
            try register.write {
                try register.appendAudit(
                    at: "2026-03-10T09:00:00Z",
                    caller: Fixture.admin,
                    method: "koppeling.activate",
                    school: "21QW00",
                    koppeling: "topdossier-eckid",
                    outcome: .refused,
                    reasons: [.verificationCodeLength, .verificationCodePrefix],
                    detail: "21QW00… (12 tekens)"
                )
            }
            try register.write {
                try register.appendAudit(
                    at: "2026-03-10T10:00:00Z",
                    caller: viewer,
                    method: "school.remove",
                    school: "21QW01",
                    koppeling: nil,
                    outcome: .refused,
                    reasons: [.permissionDenied],
                    detail: ""
                )
            }
            try register.write {
                try register.appendAudit(
                    at: "2026-03-10T11:00:00Z",
                    caller: Fixture.admin,
                    method: "timer.run",
                    school: nil,
                    koppeling: nil,
                    outcome: .ok,
                    reasons: [],
                    detail: "enabled 0"
                )
            }

            let all = try register.audit(school: nil, since: nil, limit: 100)
            #expect(all.map(\.method) == ["timer.run", "school.remove", "koppeling.activate", "school.add"])
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >))

            let refused = all[2]
            #expect(refused.at == "2026-03-10T09:00:00Z")
            #expect(refused.user == Fixture.admin.user && refused.uid == Fixture.admin.uid)
            #expect(refused.school == "21QW00" && refused.koppeling == "topdossier-eckid")
            #expect(refused.outcome == .refused)
            #expect(refused.reasons == ["verification_code_length", "verification_code_prefix"])
            #expect(refused.detail == "21QW00… (12 tekens)")
            #expect(all[0].school == nil && all[0].reasons == [])
            #expect(all[1].user == "lezer" && all[1].uid == 2002)

            #expect(
                try register.audit(school: "21QW00", since: nil, limit: 100).map(\.method) == [
                    "koppeling.activate", "school.add",
                ]
            )
            #expect(
                try register.audit(school: nil, since: "2026-03-10T09:00:00Z", limit: 100).map(\.method)
                    == ["timer.run", "school.remove", "koppeling.activate"]
            )
            #expect(
                try register.audit(school: "21QW00", since: "2026-03-10T08:30:00Z", limit: 100).map(\.method)
                    == ["koppeling.activate"]
            )
            #expect(
                try register.audit(school: nil, since: nil, limit: 2).map(\.method) == ["timer.run", "school.remove"]
            )
            #expect(try register.audit(school: "99ZZ99", since: nil, limit: 100) == [])
        }
    }

    @Test func auditOutlivesReopening() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister()
            try register.write {
                try register.appendAudit(
                    at: Fixture.now,
                    caller: Fixture.admin,
                    method: "school.add",
                    school: "21QW00",
                    koppeling: nil,
                    outcome: .ok,
                    reasons: [],
                    detail: ""
                )
            }
            register.close()
            let reopened = try Register.open(path: dir.databasePath)
            defer { reopened.close() }
            #expect(try reopened.audit(school: "21QW00", since: nil, limit: 10).count == 1)
        }
    }
}
