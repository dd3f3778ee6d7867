import Foundation
import KoppelingCore
import KoppelingProtocol
import KoppelingStorage

/// A request line after its envelope was read: either a reply that needs
/// no database (malformed line, unknown method, bad params) or a call.
enum Parsed: Sendable {
    case reply(Data)
    case call(id: RPCID?, route: Route, call: PreparedCall)
    /// Malformed params of a changing method: refused, and audited.
    case refusedChange(id: RPCID?, method: Method, error: KoppelingError)
}

/// Reads JSON-RPC 2.0 envelopes and runs methods, with authorisation and
/// the audit trail. `parse` is pure (any thread); `execute` runs on the
/// database thread.
enum Dispatcher {
    static func parse(_ line: Data) -> Parsed {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: line)
        } catch {
            return .reply(ReplyEncoding.failure(id: .null, error: RPCError(
                code: RPCErrorCode.parseError, reason: .parseError,
                message: "De regel is geen geldige JSON (UTF-8, één object per regel).")))
        }
        guard case .object(let envelope) = value else {
            return invalidRequest(id: .null, "Een verzoek moet een JSON-object zijn (batches worden niet ondersteund).")
        }
        var id: RPCID? = nil
        switch envelope["id"] {
        case nil: id = nil
        case .null?: id = .null
        case .string(let s)?: id = .string(s)
        case .integer(let n)?: id = .number(n)
        default: return invalidRequest(id: .null, "'id' moet een tekst, een geheel getal of null zijn.")
        }
        guard envelope["jsonrpc"] == .string("2.0") else {
            return invalidRequest(id: id ?? .null, "'jsonrpc' moet \"2.0\" zijn.")
        }
        guard case .string(let name)? = envelope["method"] else {
            return invalidRequest(id: id ?? .null, "'method' ontbreekt of is geen tekst.")
        }
        guard let route = Routes.byName[name] else {
            return .reply(ReplyEncoding.failure(id: id ?? .null, error: RPCError(
                code: RPCErrorCode.methodNotFound, reason: .methodNotFound,
                message: "Onbekende methode '\(String(name.prefix(60)))'. 'hello' geeft de lijst van methoden.")))
        }
        let keys: [String]
        switch envelope["params"] {
        case nil, .null?: keys = []
        case .object(let o)?: keys = Array(o.keys)
        case let other?:
            return paramsRefusal(id: id, route: route, .invalidParams(.invalidParams,
                message: "'params' moet een object zijn met benoemde parameters (geen \(other.typeName)).", fields: ["params"]))
        }
        do {
            return .call(id: id, route: route, call: try route.decode(line, keys))
        } catch {
            return paramsRefusal(id: id, route: route, error)
        }
    }

    private static func invalidRequest(id: RPCID, _ message: String) -> Parsed {
        .reply(ReplyEncoding.failure(id: id, error: RPCError(code: RPCErrorCode.invalidRequest, reason: .invalidRequest, message: message)))
    }

    private static func paramsRefusal(id: RPCID?, route: Route, _ error: KoppelingError) -> Parsed {
        if route.method.changesState { return .refusedChange(id: id, method: route.method, error: error) }
        return .reply(ReplyEncoding.failure(id: id ?? .null, error: RPCError(error)))
    }

    /// Runs a parsed request for `caller`; `nil` for a notification.
    static func execute(_ parsed: Parsed, app: Application, caller: Caller) -> Data? {
        switch parsed {
        case .reply(let data):
            return data
        case .refusedChange(let id, let method, let error):
            audit(app, caller, method.rawValue, .none, outcome: .refused, reasons: [error.reason], detail: error.fields.joined(separator: ","))
            return id.map { ReplyEncoding.failure(id: $0, error: RPCError(error)) }
        case .call(let id, let route, let call):
            let replyID = id ?? .null
            let method = route.method
            guard !method.changesState || caller.mayChange else {
                let error = KoppelingError.permissionDenied(method: method.rawValue)
                audit(app, caller, method.rawValue, call.subject, outcome: .refused, reasons: [.permissionDenied], detail: "")
                return id.map { _ in ReplyEncoding.failure(id: replyID, error: RPCError(error)) }
            }
            do {
                let data: Data
                if method.runsInTransaction {
                    data = try app.register.db.transaction {
                        let d = try call.run(app, caller, replyID)
                        try app.register.appendAudit(at: app.nowStamp, caller: caller, method: method.rawValue,
                                                     school: call.subject.school.map(normalisedSchool),
                                                     koppeling: call.subject.koppeling, outcome: .ok, reasons: [], detail: "")
                        return d
                    }
                } else {
                    data = try call.run(app, caller, replyID)
                    if method.changesState {
                        audit(app, caller, method.rawValue, call.subject, outcome: .ok, reasons: [], detail: "")
                    }
                }
                return id == nil ? nil : data
            } catch {
                let refusal = KoppelingError(storageError: error)
                if case .unavailable = refusal {
                    // The method and the error only: params may hold a secret.
                    app.logger.error("request failed", metadata: ["method": "\(method.rawValue)", "error": "\(error)"])
                }
                if method.changesState {
                    let outcome: AuditEntry.Outcome = if case .unavailable = refusal { .error } else { .refused }
                    audit(app, caller, method.rawValue, call.subject, outcome: outcome, reasons: refusal.violations.isEmpty ? [refusal.reason] : refusal.violations.map(\.reason),
                          detail: refusal.fields.joined(separator: ","))
                }
                return id.map { _ in ReplyEncoding.failure(id: replyID, error: RPCError(refusal)) }
            }
        }
    }

    /// Audit rows of refusals go in a transaction of their own, after the
    /// refused change rolled back. A busy database loses only this row.
    private static func audit(_ app: Application, _ caller: Caller, _ method: String, _ subject: AuditSubject,
                              outcome: AuditEntry.Outcome, reasons: [Reason], detail: String) {
        try? app.register.appendAudit(at: app.nowStamp, caller: caller, method: method,
                                      school: subject.school.map(normalisedSchool), koppeling: subject.koppeling,
                                      outcome: outcome, reasons: reasons, detail: detail)
    }

    /// The audit names a school as it is stored when the input was valid,
    /// and as typed (shortened) otherwise.
    static func normalisedSchool(_ raw: String) -> String {
        (try? Brin6.parse(raw).get().value) ?? String(raw.prefix(20))
    }
}

extension KoppelingError {
    /// Maps storage failures to refusals the caller can act on.
    init(storageError error: any Error) {
        switch error {
        case let e as KoppelingError:
            self = e
        case let e as SQLiteError where e.isBusy:
            self = .unavailable(.databaseBusy, message: "De database is tijdelijk bezet door een ander proces; probeer het zo opnieuw.")
        case let e as SQLiteError where e.isReadOnlyOrFull:
            self = .unavailable(.storageFailure, message: "De wijziging kon niet worden opgeslagen (schijf vol of alleen-lezen); er is niets gewijzigd.")
        default:
            self = .unavailable(.internalError, message: "Er ging intern iets mis; er is niets gewijzigd. Zie 'journalctl -u koppelingd'.")
        }
    }
}
