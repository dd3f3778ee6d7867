import KoppelingCore
import KoppelingProtocol

/// One cross-cutting concern around the methods. Each stage either answers
/// itself or passes the request on to `next`.
protocol Middleware: Sendable {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response
}

/// The stages in order, ending in the method itself. Built once.
struct MiddlewareChain: Sendable {
    let stages: [any Middleware]

    /// storage guard → audit → permission → transaction → route.
    ///
    /// The audit sits outside the permission check because a refused
    /// permission is audited like every other refusal; it sits outside the
    /// transaction because a refusal's row is written after the refused
    /// change rolled back, in a transaction of its own.
    static let standard = MiddlewareChain(stages: [
        StorageGuard(), AuditTrail(), PermissionCheck(), TransactionScope(),
    ])

    func respond(to request: Request, context: RequestContext) -> Response {
        run(stages[...], request, context)
    }

    private func run(_ rest: ArraySlice<any Middleware>, _ request: Request, _ context: RequestContext) -> Response {
        guard let stage = rest.first else { return RouteCall.respond(to: request, context: context) }
        return stage.handle(request, context: context) { request, context in
            run(rest.dropFirst(), request, context)
        }
    }
}

/// The end of the chain: the method's handler.
enum RouteCall {
    static func respond(to request: Request, context: RequestContext) -> Response {
        do {
            let call = try request.call.get()
            return .success(try call.run(context.app, context.caller, request.id ?? .null))
        } catch {
            return .failure(KoppelingError(refusing: error, of: request.method, logger: context.app.logger))
        }
    }
}
