import KoppelingClient
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A failure as `--json` reports it: one object on standard output,
/// `{"error": {"code", "reason", "message"}}`, so a script parses stdout
/// whatever happened and the exit code still tells the kind. `code` is the
/// daemon's JSON-RPC code for a refusal (with the daemon's `data` kept
/// beside it), and null when the daemon gave no answer: then `reason` is one
/// of koppelingctl's own, below.
enum JSONError {
    /// koppelingctl's own reasons, stable for scripts (README.md lists them).
    enum Reason: String {
        /// Exit 2: a wrong option, argument or value, or an input file
        /// koppelingctl cannot use.
        case usage
        /// Exit 3: nothing listens on the socket (or it does not exist).
        case daemonUnreachable = "daemon_unreachable"
        /// Exit 3: the socket is there, but this user may not open it.
        case accessDenied = "access_denied"
        /// Exit 3: the daemon closed the connection before it answered.
        case connectionLost = "connection_lost"
        /// Exit 3: the daemon's answer could not be read.
        case malformedReply = "malformed_reply"
        /// Exit 1: koppelingctl itself failed (a bug, not the input).
        case internalError = "internal_error"
    }

    static func report(refusal: RPCError) {
        write(
            Body(
                code: refusal.code,
                reason: refusal.data?.reason ?? "refused",
                message: refusal.message,
                data: refusal.data
            )
        )
    }

    static func report(_ reason: Reason, message: String) {
        write(Body(code: nil, reason: reason.rawValue, message: message, data: nil))
    }

    private struct Envelope: Encodable {
        let error: Body
    }

    private struct Body: Encodable {
        let code: Int?
        let reason: String
        let message: String
        let data: RPCErrorData?

        enum CodingKeys: String, CodingKey { case code, reason, message, data }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            // null, not left out: every error has the same three members.
            try c.encode(code, forKey: .code)
            try c.encode(reason, forKey: .reason)
            try c.encode(message, forKey: .message)
            try c.encodeIfPresent(data, forKey: .data)
        }
    }

    private static func write(_ body: Body) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Envelope(error: body)) else { return }
        print(String(decoding: data, as: UTF8.self))
    }
}

extension ClientError {
    /// The reason `--json` gives for this failure.
    var jsonReason: JSONError.Reason {
        switch self {
        case .notReachable: .daemonUnreachable
        case .noAccess: .accessDenied
        case .connectionLost: .connectionLost
        case .malformedReply: .malformedReply
        }
    }
}
