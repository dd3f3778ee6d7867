import KoppelingCore

/// Only an administrator changes the register; a caller in neither group
/// gets nothing at all. Checked before the params are judged: someone who
/// may not do a thing is told only that.
struct PermissionCheck: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        let caller = context.caller
        if !caller.mayRead {
            let config = context.app.config
            return .failure(
                .notAMember(user: caller.user, readerGroup: config.readerGroup, adminGroup: config.adminGroup)
            )
        }
        guard request.method.changesState, !caller.mayChange else { return next(request, context) }
        return .failure(.permissionDenied(method: request.method.name))
    }
}
