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
    /// One pass of the JSON decoder over the line: the envelope is read by
    /// hand and the params straight into the method's own type.
    static func parse(_ line: Data) -> Parsed {
        let parseError = Parsed.reply(parseErrorReply)
        // The decoder reads strings and numbers lazily, only those it
        // decodes: check the whole line up front.
        guard isWellFormedText(line), line.withUnsafeBytes(JSONSyntax.isValid) else { return parseError }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: line)
        } catch DecodingError.typeMismatch, DecodingError.valueNotFound {
            return invalidRequest(id: .null, "Een verzoek moet een JSON-object zijn (batches worden niet ondersteund).")
        } catch {
            return parseError
        }
        switch envelope.outcome {
        case .invalidID:
            return invalidRequest(id: .null, "'id' moet een tekst, een geheel getal of null zijn.")
        case .invalidVersion:
            return invalidRequest(id: envelope.id ?? .null, "'jsonrpc' moet \"2.0\" zijn.")
        case .invalidMethod:
            return invalidRequest(id: envelope.id ?? .null, "'method' ontbreekt of is geen tekst.")
        case .unknownMethod(let name):
            return .reply(
                ReplyEncoding.failure(
                    id: envelope.id ?? .null,
                    error: RPCError(
                        code: RPCErrorCode.methodNotFound,
                        reason: .methodNotFound,
                        message: "Onbekende methode '\(String(name.prefix(60)))'. 'hello' geeft de lijst van methoden."
                    )
                )
            )
        case .refused(let route, let error):
            return paramsRefusal(id: envelope.id, route: route, error)
        case .call(let route, let call):
            return .call(id: envelope.id, route: route, call: call)
        }
    }

    /// The same for every line that is not JSON: encoded once.
    static let parseErrorReply = ReplyEncoding.failure(
        id: .null,
        error: RPCError(
            code: RPCErrorCode.parseError,
            reason: .parseError,
            message: "De regel is geen geldige JSON (UTF-8, één object per regel)."
        )
    )

    /// Valid UTF-8 without raw control characters other than JSON's own
    /// white space: a NUL or an invalid byte is a parse error wherever it is.
    static func isWellFormedText(_ line: Data) -> Bool {
        line.withUnsafeBytes(isWellFormedText)
    }

    /// One pass, no allocation (RFC 3629: no overlong forms, no UTF-16
    /// surrogates, nothing above U+10FFFF).
    static func isWellFormedText(_ raw: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = raw.count
        while i < n {
            let b = raw[i]
            if b < 0x80 {
                if b < 0x20, b != 0x09, b != 0x0A, b != 0x0D { return false }
                i += 1
                continue
            }
            // The lead byte fixes the length and the range of the second byte.
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return false
            }
            guard n - i >= length, raw[i + 1] >= low, raw[i + 1] <= high else { return false }
            for k in 2..<length where raw[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    private static func invalidRequest(id: RPCID, _ message: String) -> Parsed {
        .reply(
            ReplyEncoding.failure(
                id: id,
                error: RPCError(code: RPCErrorCode.invalidRequest, reason: .invalidRequest, message: message)
            )
        )
    }

    private static func paramsRefusal(id: RPCID?, route: Route, _ error: KoppelingError) -> Parsed {
        if route.method.changesState { return .refusedChange(id: id, method: route.method, error: error) }
        return .reply(ReplyEncoding.failure(id: id ?? .null, error: RPCError(error)))
    }

    /// A reply line (`nil` for a notification) and whether the request
    /// succeeded, so a batch whose transaction SQLite ended can correct it.
    struct Outcome {
        var reply: Data?
        var succeeded: Bool
    }

    /// Runs a parsed request for `caller`; `nil` for a notification.
    static func execute(_ parsed: Parsed, app: Application, caller: Caller) -> Data? {
        run(parsed, app: app, caller: caller).reply
    }

    static func run(_ parsed: Parsed, app: Application, caller: Caller) -> Outcome {
        switch parsed {
        case .reply(let data):
            return Outcome(reply: data, succeeded: false)
        case .refusedChange(let id, _, _) where app.health.isGone,
            .call(let id, _, _) where app.health.isGone && parsed.execution != .read:
            // Nothing may be written to a file nobody will find again; no
            // audit row either (it would go there too).
            return Outcome(reply: id.map { ReplyEncoding.failure(id: $0, error: RPCError(KoppelingError.storageGone)) },
                           succeeded: false)
        case .refusedChange(let id, let method, let error):
            // Permission first: someone who may change nothing is told only
            // that, whatever the params.
            let refusal = caller.mayChange ? error : KoppelingError.permissionDenied(method: method.rawValue)
            audit(
                app,
                caller,
                method.rawValue,
                .none,
                outcome: .refused,
                reasons: [refusal.reason],
                detail: refusal.fields.joined(separator: ",")
            )
            return Outcome(reply: id.map { ReplyEncoding.failure(id: $0, error: RPCError(refusal)) }, succeeded: false)
        case .call(let id, let route, let call):
            let replyID = id ?? .null
            let method = route.method
            guard !method.changesState || caller.mayChange else {
                let error = KoppelingError.permissionDenied(method: method.rawValue)
                audit(
                    app,
                    caller,
                    method.rawValue,
                    call.subject,
                    outcome: .refused,
                    reasons: [.permissionDenied],
                    detail: ""
                )
                return Outcome(
                    reply: id.map { _ in ReplyEncoding.failure(id: replyID, error: RPCError(error)) },
                    succeeded: false
                )
            }
            do {
                let data: Data
                if method.execution == .write {
                    data = try app.register.db.transaction {
                        let d = try call.run(app, caller, replyID)
                        try app.register.appendAudit(
                            at: app.nowStamp,
                            caller: caller,
                            method: method.rawValue,
                            school: call.subject.school.map(normalisedSchool),
                            koppeling: call.subject.koppeling,
                            outcome: .ok,
                            reasons: [],
                            detail: ""
                        )
                        return d
                    }
                } else {
                    data = try call.run(app, caller, replyID)
                    if method.changesState {
                        audit(app, caller, method.rawValue, call.subject, outcome: .ok, reasons: [], detail: "")
                    }
                }
                return Outcome(reply: id == nil ? nil : data, succeeded: true)
            } catch {
                let refusal = KoppelingError(storageError: error)
                if case .unavailable = refusal {
                    // The method and the error only: params may hold a secret.
                    app.logger.error("request failed", metadata: ["method": "\(method.rawValue)", "error": "\(error)"])
                }
                if method.changesState {
                    let outcome: AuditEntry.Outcome = if case .unavailable = refusal { .error } else { .refused }
                    let write = {
                        audit(
                            app,
                            caller,
                            method.rawValue,
                            call.subject,
                            outcome: outcome,
                            reasons: refusal.violations.isEmpty ? [refusal.reason] : refusal.violations.map(\.reason),
                            detail: refusal.fields.joined(separator: ",")
                        )
                    }
                    // The lock was not to be had for a whole busy timeout:
                    // the audit row gets one try, not a second timeout.
                    if refusal.reason == .databaseBusy { app.register.db.withoutBusyWait(write) } else { write() }
                }
                return Outcome(
                    reply: id.map { _ in ReplyEncoding.failure(id: replyID, error: RPCError(refusal)) },
                    succeeded: false
                )
            }
        }
    }

    /// Audit rows of refusals go in a transaction of their own, after the
    /// refused change rolled back. A busy database loses only this row.
    private static func audit(
        _ app: Application,
        _ caller: Caller,
        _ method: String,
        _ subject: AuditSubject,
        outcome: AuditEntry.Outcome,
        reasons: [Reason],
        detail: String
    ) {
        try? app.register.appendAudit(
            at: app.nowStamp,
            caller: caller,
            method: method,
            school: subject.school.map(normalisedSchool),
            koppeling: subject.koppeling.map { auditedKoppeling($0, app) },
            outcome: outcome,
            reasons: reasons,
            detail: detail
        )
    }

    /// The audit names a school as it is stored when the input was valid,
    /// and masked otherwise (its first six characters and its length).
    static func normalisedSchool(_ raw: String) -> String {
        (try? Brin6.parse(raw).get().value) ?? raw.masked
    }

    /// A koppeling id as typed when the catalogue knows it, masked
    /// otherwise: a refused request may carry a code in that field.
    static func auditedKoppeling(_ raw: String, _ app: Application) -> String {
        ((try? app.register.catalogEntry(raw)) ?? nil) != nil ? raw : raw.masked
    }
}

extension KoppelingError {
    static let storageGone = KoppelingError.unavailable(
        .storageGone,
        message:
            "Het registerbestand is verwijderd of vervangen terwijl koppelingd draaide; wijzigingen worden geweigerd. Herstel het register (koppelingd restore) en start koppelingd opnieuw."
    )

    /// A change that ran but whose transaction SQLite rolled back.
    static let changeNotSaved = KoppelingError.unavailable(
        .storageFailure,
        message: "De wijziging kon niet worden opgeslagen (schijf vol of een schrijffout); er is niets gewijzigd."
    )

    /// Maps storage failures to refusals the caller can act on.
    init(storageError error: any Error) {
        switch error {
        case let e as KoppelingError:
            self = e
        case let e as SQLiteError where e.isBusy:
            self = .unavailable(
                .databaseBusy,
                message: "De database is tijdelijk bezet door een ander proces; probeer het zo opnieuw."
            )
        case let e as SQLiteError where e.isReadOnlyOrFull:
            self = .unavailable(
                .storageFailure,
                message: "De wijziging kon niet worden opgeslagen (schijf vol of alleen-lezen); er is niets gewijzigd."
            )
        default:
            self = .unavailable(
                .internalError,
                message: "Er ging intern iets mis; er is niets gewijzigd. Zie 'journalctl -u koppelingd'."
            )
        }
    }
}
