import KoppelingCore

/// A register file deleted or replaced under the running daemon takes no
/// change: nothing may be written to a file nobody will find again, not
/// even an audit row. Nor does one whose full check found damage: a write
/// to a damaged b-tree can spread it. Reads go on.
struct StorageGuard: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        if request.method.changesState {
            if let file = context.app.health.lostFile { return .failure(.storageGone(file)) }
            if context.app.health.damage != nil { return .failure(.storageDamaged) }
        }
        return next(request, context)
    }
}
