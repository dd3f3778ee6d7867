/// Read models: what the register holds, as the protocol shows it. Instants
/// are RFC 3339 UTC strings, days are `YYYY-MM-DD` in the daemon's zone.

public struct School: Sendable, Equatable, Codable {
    public var brin6: String
    public var name: String
    public var createdAt: String

    public init(brin6: String, name: String, createdAt: String) {
        self.brin6 = brin6
        self.name = name
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case brin6, name
        case createdAt = "created_at"
    }
}

public struct ActivationRecord: Sendable, Equatable, Codable {
    public var id: Int
    public var school: String
    public var koppeling: String
    public var koppelingName: String
    public var acceptedByName: String
    /// The *Gebruiker*: the OS account that activated it.
    public var user: String
    public var uid: Int
    /// The terms version last accepted (at activation or by reaccepting).
    public var termsVersion: String
    /// The SHA-256 of the text accepted; null for an activation of an
    /// older release whose text was not kept.
    @NullWhenAbsent public var termsSha256: String?
    /// The catalogue's current terms differ from those accepted: the
    /// school must accept the new ones (`koppeling.reaccept`) or decide to
    /// end it. It stays active meanwhile.
    public var termsOutdated: Bool
    public var startDate: String
    /// The last day it is active; null for no end.
    @NullWhenAbsent public var endDate: String?
    /// Masked: the BRIN6 prefix and the length, never the code.
    public var verificationCode: String
    public var activatedAt: String
    public var active: Bool
    @NullWhenAbsent public var deactivatedAt: String?
    @NullWhenAbsent public var deactivatedBy: String?
    @NullWhenAbsent public var deactivationReason: String?

    public init(
        id: Int,
        school: String,
        koppeling: String,
        koppelingName: String,
        acceptedByName: String,
        user: String,
        uid: Int,
        termsVersion: String,
        termsSha256: String?,
        termsOutdated: Bool,
        startDate: String,
        endDate: String?,
        verificationCode: String,
        activatedAt: String,
        active: Bool,
        deactivatedAt: String?,
        deactivatedBy: String?,
        deactivationReason: String?
    ) {
        self.id = id
        self.school = school
        self.koppeling = koppeling
        self.koppelingName = koppelingName
        self.acceptedByName = acceptedByName
        self.user = user
        self.uid = uid
        self.termsVersion = termsVersion
        self.termsSha256 = termsSha256
        self.termsOutdated = termsOutdated
        self.startDate = startDate
        self.endDate = endDate
        self.verificationCode = verificationCode
        self.activatedAt = activatedAt
        self.active = active
        self.deactivatedAt = deactivatedAt
        self.deactivatedBy = deactivatedBy
        self.deactivationReason = deactivationReason
    }

    enum CodingKeys: String, CodingKey {
        case id, school, koppeling, user, uid, active
        case koppelingName = "koppeling_name"
        case acceptedByName = "accepted_by_name"
        case termsVersion = "terms_version"
        case termsSha256 = "terms_sha256"
        case termsOutdated = "terms_outdated"
        case startDate = "start_date"
        case endDate = "end_date"
        case verificationCode = "verification_code"
        case activatedAt = "activated_at"
        case deactivatedAt = "deactivated_at"
        case deactivatedBy = "deactivated_by"
        case deactivationReason = "deactivation_reason"
    }

}

public struct EckidImportRecord: Sendable, Equatable, Codable {
    public var school: String
    public var state: EckidImportState
    public var activeFrom: String
    public var keySetAt: String
    public var keySetBy: String
    @NullWhenAbsent public var activatedAt: String?
    @NullWhenAbsent public var disabledAt: String?
    @NullWhenAbsent public var disabledBy: String?
    @NullWhenAbsent public var disabledReason: String?

    public init(
        school: String,
        state: EckidImportState,
        activeFrom: String,
        keySetAt: String,
        keySetBy: String,
        activatedAt: String?,
        disabledAt: String?,
        disabledBy: String?,
        disabledReason: String?
    ) {
        self.school = school
        self.state = state
        self.activeFrom = activeFrom
        self.keySetAt = keySetAt
        self.keySetBy = keySetBy
        self.activatedAt = activatedAt
        self.disabledAt = disabledAt
        self.disabledBy = disabledBy
        self.disabledReason = disabledReason
    }

    enum CodingKeys: String, CodingKey {
        case school, state
        case activeFrom = "active_from"
        case keySetAt = "key_set_at"
        case keySetBy = "key_set_by"
        case activatedAt = "activated_at"
        case disabledAt = "disabled_at"
        case disabledBy = "disabled_by"
        case disabledReason = "disabled_reason"
    }

}

public struct TimerRunRecord: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case scheduled, manual }
    public var kind: Kind
    public var localDay: String
    public var startedAt: String
    public var finishedAt: String
    public var enabled: Int
    public var stopped: Int
    public var stoppedDetail: String
    /// Activations ended because their end date had passed.
    public var ended: Int

    public init(
        kind: Kind,
        localDay: String,
        startedAt: String,
        finishedAt: String,
        enabled: Int,
        stopped: Int,
        stoppedDetail: String,
        ended: Int
    ) {
        self.ended = ended
        self.kind = kind
        self.localDay = localDay
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.enabled = enabled
        self.stopped = stopped
        self.stoppedDetail = stoppedDetail
    }

    enum CodingKeys: String, CodingKey {
        case kind, enabled, stopped, ended
        case localDay = "local_day"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case stoppedDetail = "stopped_detail"
    }
}

public struct AuditEntry: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable { case ok, refused, error }
    public var id: Int
    public var at: String
    public var user: String
    public var uid: Int
    public var method: String
    @NullWhenAbsent public var school: String?
    @NullWhenAbsent public var koppeling: String?
    public var outcome: Outcome
    public var reasons: [String]
    public var detail: String

    enum CodingKeys: String, CodingKey { case id, at, user, uid, method, school, koppeling, outcome, reasons, detail }

    public init(
        id: Int,
        at: String,
        user: String,
        uid: Int,
        method: String,
        school: String?,
        koppeling: String?,
        outcome: Outcome,
        reasons: [String],
        detail: String
    ) {
        self.id = id
        self.at = at
        self.user = user
        self.uid = uid
        self.method = method
        self.school = school
        self.koppeling = koppeling
        self.outcome = outcome
        self.reasons = reasons
        self.detail = detail
    }
}

/// Who is calling: the peer credentials of the socket connection.
public struct Caller: Sendable, Equatable {
    /// What a caller may do (DESIGN §2 *A privacy officer reads, never
    /// changes*).
    public enum Role: String, Sendable, Equatable {
        /// Root, the daemon's own user and members of the admin group.
        case administrator
        /// Members of the reader group (`koppelinginzage`): every reading
        /// method, no change.
        case reader
        /// In neither group: nothing.
        case none
    }

    public let user: String
    public let uid: Int
    public let role: Role

    public var mayChange: Bool { role == .administrator }
    public var mayRead: Bool { role != .none }

    public init(user: String, uid: Int, role: Role) {
        self.user = user
        self.uid = uid
        self.role = role
    }

    /// An administrator, or else a reader.
    public init(user: String, uid: Int, mayChange: Bool) {
        self.init(user: user, uid: uid, role: mayChange ? .administrator : .reader)
    }
}
