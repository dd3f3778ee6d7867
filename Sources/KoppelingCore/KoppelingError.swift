/// Every way a request can be refused, as a value. The daemon maps each case
/// to one JSON-RPC error code; the CLI maps them to exit codes.
public enum KoppelingError: Error, Sendable, Equatable {
    /// One or more domain rules failed; every failing rule is listed.
    case rules([Violation])
    /// The thing named does not exist.
    case notFound(Violation)
    /// The request clashes with the current state.
    case conflict(Violation)
    /// The terms the person read (`terms_version`) are no longer the
    /// current ones: nobody accepts terms they never saw. A conflict that
    /// names the current version, so a client can show those terms.
    case termsChanged(Violation, currentVersion: String)
    /// The caller may read but not change.
    case permissionDenied(method: String)
    /// The caller is in neither the admin group nor the reader group: it
    /// gets nothing, whatever it asks.
    case notAMember(user: String, readerGroup: String, adminGroup: String)
    /// Try again later (database busy, shutting down).
    case unavailable(Reason, message: String)
    /// Parameters missing, of the wrong type, or unknown.
    case invalidParams(Reason, message: String, fields: [String])

    public var violations: [Violation] {
        switch self {
        case .rules(let v): return v
        case .notFound(let v), .conflict(let v), .termsChanged(let v, _): return [v]
        case .permissionDenied, .notAMember, .unavailable, .invalidParams: return []
        }
    }

    /// The single stable reason code of this refusal (the first violation's
    /// reason when there are several).
    public var reason: Reason {
        switch self {
        case .rules(let v): return v.first?.reason ?? .internalError
        case .notFound(let v), .conflict(let v), .termsChanged(let v, _): return v.reason
        case .permissionDenied: return .permissionDenied
        case .notAMember: return .notAMember
        case .unavailable(let r, _), .invalidParams(let r, _, _): return r
        }
    }

    /// The fields this refusal is about.
    public var fields: [String] {
        switch self {
        case .rules, .notFound, .conflict, .termsChanged:
            var seen = Set<String>()
            return violations.map(\.field).filter { seen.insert($0).inserted }
        case .invalidParams(_, _, let f): return f
        case .permissionDenied, .notAMember, .unavailable: return []
        }
    }

    /// The current terms version, for `terms_changed`.
    public var currentTermsVersion: String? {
        if case .termsChanged(_, let current) = self { current } else { nil }
    }

    /// Dutch, for the person at the terminal.
    public var message: String {
        switch self {
        case .rules(let v):
            if v.count == 1 { return v[0].message }
            return "\(v.count) regels zijn niet nageleefd: " + v.map(\.message).joined(separator: " ")
        case .notFound(let v), .conflict(let v), .termsChanged(let v, _): return v.message
        case .permissionDenied(let method):
            return
                "U heeft geen rechten om '\(method)' uit te voeren. Alleen root, de gebruiker van de daemon en leden van de beheergroep mogen wijzigingen doen."
        case .notAMember(let user, let readerGroup, let adminGroup):
            // A uid the user database does not know has no name to add.
            let name = user.hasPrefix("uid ") ? "GEBRUIKERSNAAM" : user
            return
                "Alleen leden van de groep \(readerGroup) (inzien) of \(adminGroup) (beheren) kunnen koppelingd gebruiken. "
                + "Een beheerder voegt u toe met: sudo usermod -aG \(readerGroup) \(name); daarna logt u opnieuw in."
        case .unavailable(_, let m), .invalidParams(_, let m, _): return m
        }
    }
}
