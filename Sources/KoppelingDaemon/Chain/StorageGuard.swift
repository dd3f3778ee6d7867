import KoppelingCore

/// A register file deleted or replaced under the running daemon takes no
/// change: nothing may be written to a file nobody will find again, not
/// even an audit row. Reads go on.
struct StorageGuard: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        if request.method.changesState, context.app.health.isGone { return .failure(.storageGone) }
        return next(request, context)
    }
}
