import KoppelingCore

/// Only an administrator changes the register. Checked before the params
/// are judged: someone who may change nothing is told only that.
struct PermissionCheck: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        guard request.method.changesState, !context.caller.mayChange else { return next(request, context) }
        return .failure(.permissionDenied(method: request.method.name))
    }
}
