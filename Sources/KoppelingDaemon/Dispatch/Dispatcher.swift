import KoppelingCore
import KoppelingProtocol
import NIOCore
import KoppelingStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A request line after its envelope was read: either a reply that needs
/// no database (malformed line, unknown method, bad params of a read) or a
/// request for the chain of concerns.
enum Parsed: Sendable {
    case reply(ByteBuffer)
    case request(Request)

    var id: RPCID? {
        switch self {
        case .reply: nil
        case .request(let r): r.id
        }
    }

    /// How the request runs: a ready reply needs no database; a change
    /// with bad params still writes its audit row.
    var execution: Execution {
        switch self {
        case .reply: .read
        case .request(let r): r.method.execution
        }
    }
}

/// Reads JSON-RPC 2.0 envelopes (`parse`, pure, any thread) and hands the
/// requests to the chain of concerns (`respond`, where the register is).
enum Dispatcher {
    /// How the checked line becomes an `Envelope`: the tree of the line and
    /// `TreeDecoder` (the daemon's), or Foundation's `JSONDecoder`, the slow
    /// twin `TreeDecoderTests` hold every line's outcome against.
    enum Decoding {
        case tree
        case foundation

        /// Not JSON at all: the caller's `parseError`.
        struct NotJSON: Error {}

        func envelope(_ line: ByteBuffer) throws -> Envelope {
            switch self {
            case .tree:
                guard let tree = line.withUnsafeReadableBytes(JSONTree.parse) else { throw NotJSON() }
                return try Envelope(from: TreeDecoder(tree))
            case .foundation:
                return try JSONDecoder().decode(Envelope.self, from: Data(line.readableBytesView))
            }
        }
    }

    /// One pass of the decoder over the line, read as one request object:
    /// the envelope is read by hand and the params straight into the
    /// method's own type. A notification's refusal is here too, as the
    /// reply it would have had: `read` is what drops it.
    static func parse(_ line: ByteBuffer, decoding: Decoding = .tree) -> Parsed {
        // The decoder reads strings and numbers lazily, only those it
        // decodes: check the whole line up front.
        guard isWellFormedText(line) else { return Parsed.reply(parseErrorReply) }
        return object(line, verdict: line.withUnsafeReadableBytes(JSONSyntax.verdict), decoding: decoding).parsed
    }

    /// A request object whose text is well formed and whose `verdict` is
    /// known, and whether it is a notification: a valid request without
    /// `id` (JSON-RPC 2.0 §4.1). An invalid one is never a notification: it
    /// is answered with the id it has, or null.
    static func object(
        _ line: ByteBuffer,
        verdict: JSONSyntax.Verdict,
        decoding: Decoding = .tree
    ) -> (parsed: Parsed, isNotification: Bool) {
        let parseError = (parsed: Parsed.reply(parseErrorReply), isNotification: false)
        switch verdict {
        case .valid: break
        case .invalid: return parseError
        case .duplicateMember(let name): return (duplicateMemberReply(name), false)
        }
        let envelope: Envelope
        do {
            envelope = try decoding.envelope(line)
        } catch DecodingError.typeMismatch, DecodingError.valueNotFound {
            return (invalidRequest(id: .null, "Een verzoek moet een JSON-object zijn."), false)
        } catch {
            return parseError
        }
        switch envelope.outcome {
        case .invalidID:
            return (invalidRequest(id: .null, "'id' moet een tekst, een geheel getal of null zijn."), false)
        case .invalidVersion:
            return (invalidRequest(id: envelope.id ?? .null, "'jsonrpc' moet \"2.0\" zijn."), false)
        case .invalidMethod:
            return (invalidRequest(id: envelope.id ?? .null, "'method' ontbreekt of is geen tekst."), false)
        case .unknownMethod(let name):
            let reply = Parsed.reply(
                ReplyEncoding.failure(
                    id: envelope.id ?? .null,
                    error: RPCError(
                        code: RPCErrorCode.methodNotFound,
                        reason: .methodNotFound,
                        message: "Onbekende methode '\(String(name.prefix(60)))'. 'hello' geeft de lijst van methoden."
                    )
                )
            )
            return (reply, envelope.id == nil)
        case .refused(let route, let error):
            return (paramsRefusal(id: envelope.id, route: route, error), envelope.id == nil)
        case .call(let route, let call):
            let request = Request(id: envelope.id, method: route.method, subject: call.subject, call: .success(call))
            return (.request(request), envelope.id == nil)
        }
    }

    /// The same for every line that is not JSON: encoded once.
    static let parseErrorReply = ReplyEncoding.failure(
        id: .null,
        error: RPCError(
            code: RPCErrorCode.parseError,
            reason: .parseError,
            message: "De regel is geen geldige JSON (UTF-8, één object of één batch per regel)."
        )
    )

    /// Valid UTF-8 without raw control characters other than JSON's own
    /// white space: a NUL or an invalid byte is a parse error wherever it is.
    static func isWellFormedText(_ line: ByteBuffer) -> Bool {
        line.withUnsafeReadableBytes(isWellFormedText)
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

    static func invalidRequest(id: RPCID, _ message: String) -> Parsed {
        .reply(
            ReplyEncoding.failure(
                id: id,
                error: RPCError(code: RPCErrorCode.invalidRequest, reason: .invalidRequest, message: message)
            )
        )
    }

    /// Bad params of a read are answered at once; of a change, they go
    /// through the chain (permission first, and audited).
    private static func paramsRefusal(id: RPCID?, route: Route, _ error: KoppelingError) -> Parsed {
        if route.method.changesState {
            return .request(Request(id: id, method: route.method, subject: .none, call: .failure(error)))
        }
        return .reply(ReplyEncoding.failure(id: id ?? .null, error: RPCError(error)))
    }

    /// A reply line (`nil` for a notification) and whether the request
    /// succeeded, so a batch whose transaction SQLite ended can correct it.
    struct Outcome {
        var reply: ByteBuffer?
        var succeeded: Bool
    }

    /// Serves a parsed request for `caller` through the chain.
    static func respond(_ parsed: Parsed, app: Application, caller: Caller) -> Outcome {
        switch parsed {
        case .reply(let data):
            return Outcome(reply: data, succeeded: false)
        case .request(let request):
            let response = MiddlewareChain.standard.respond(
                to: request,
                context: RequestContext(app: app, caller: caller)
            )
            let reply = request.id.map { id in
                switch response {
                case .success(let data): data
                case .failure(let refusal): ReplyEncoding.failure(id: id, error: RPCError(refusal))
                }
            }
            if case .success = response { return Outcome(reply: reply, succeeded: true) }
            return Outcome(reply: reply, succeeded: false)
        }
    }

    /// The reply line only; `nil` for a notification.
    static func execute(_ parsed: Parsed, app: Application, caller: Caller) -> ByteBuffer? {
        respond(parsed, app: app, caller: caller).reply
    }
}

extension KoppelingError {
    /// Changes are refused: `file` of the register was removed or replaced
    /// under the running daemon.
    static func storageGone(_ file: RegisterFiles.File) -> KoppelingError {
        .unavailable(
            .storageGone,
            message: storageGoneMessage(file)
        )
    }

    private static func storageGoneMessage(_ file: RegisterFiles.File) -> String {
        switch file {
        case .register:
            "Het registerbestand is verwijderd, geleegd of vervangen terwijl koppelingd draaide; wijzigingen worden geweigerd. Herstel het register (koppelingd restore) en start koppelingd opnieuw."
        case .log, .sharedMemory:
            "Het logbestand van het register (\(file.rawValue)) is verwijderd, vervangen of ingekort terwijl koppelingd draaide; wijzigingen worden geweigerd tot koppelingd opnieuw is gestart. Het journaal zegt of wat het bevatte in het registerbestand is bewaard."
        case .lock:
            "Het vergrendelbestand van het register is verwijderd of vervangen terwijl koppelingd draaide (een tweede koppelingd zou nu kunnen starten); wijzigingen worden geweigerd tot koppelingd opnieuw is gestart."
        case .secret:
            "Het geheim van deze installatie (koppelingd.secret) is verwijderd of vervangen terwijl koppelingd draaide; wijzigingen worden geweigerd. Zet het terug (docs/install.md, Restoring) en start koppelingd opnieuw."
        }
    }

    static let storageDamaged = KoppelingError.unavailable(
        .storageDamaged,
        message:
            "Het registerbestand is beschadigd (de volledige controle vond fouten); wijzigingen worden geweigerd, lezen kan nog. Herstel een back-up met 'koppelingd restore' en start koppelingd opnieuw."
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
        case let e as RegisterFilesLost:
            self = .unavailable(
                .storageGone,
                message: e.file == .register
                    ? "Het registerbestand is verwijderd of vervangen terwijl koppelingd draaide: deze wijziging is niet opgeslagen. Herstel het register (koppelingd restore) en start koppelingd opnieuw."
                    : "Het logbestand van het register (\(e.file.rawValue)) is verwijderd, vervangen of ingekort en kon niet in het registerbestand worden bewaard: deze wijziging is niet zeker opgeslagen. Stop koppelingd en kijk in het journaal; herstel zo nodig een back-up."
            )
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
