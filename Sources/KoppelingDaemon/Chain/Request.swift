import KoppelingCore
import KoppelingProtocol
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A request line whose envelope and params were read: what the chain of
/// concerns works on.
struct Request: Sendable {
    let id: RPCID?
    let method: AnyMethod
    /// What the audit records the request is about.
    let subject: AuditSubject
    /// The decoded call, or why its params were refused (a change with bad
    /// params is still a change: permission and the audit see it).
    let call: Result<PreparedCall, KoppelingError>
}

/// What each stage of the chain answers: the encoded success reply, or the
/// refusal. Replies for a refusal are encoded once, at the end.
typealias Response = Result<ByteBuffer, KoppelingError>

/// The caller and the register a request is served with, and what must be
/// written in the request's own transaction when it succeeds.
struct RequestContext {
    let app: Application
    let caller: Caller
    /// Run inside the request's write scope after the method succeeded, so
    /// that what they write commits with the change or not at all.
    var beforeCommit: [(Application) throws -> Void] = []
}
