import KoppelingCore
import KoppelingProtocol
import KoppelingStorage
import Logging

/// The one place a request's transaction is chosen, by the method's `execution`:
/// a read in one snapshot (none for one that needs no database), a change in a write scope of its own (a
/// savepoint inside a batch) together with what must commit with it, a
/// backup outside any transaction. A failure rolls its scope back.
struct TransactionScope: Middleware {
    func handle(_ request: Request, context: RequestContext, next: (Request, RequestContext) -> Response) -> Response {
        let register = context.app.register
        do {
            switch request.method.execution {
            case .read, .scan:
                guard request.method.needsDatabase else { return next(request, context) }
                return try register.read { next(request, context) }
            case .write:
                // Bad params need no scope: there is nothing to undo.
                guard case .success = request.call else { return next(request, context) }
                return try register.write {
                    let response = next(request, context)
                    if case .failure(let error) = response { throw error }
                    for write in context.beforeCommit { try write(context.app) }
                    return response
                }
            case .exclusive:
                let response = next(request, context)
                guard case .success = response else { return response }
                try register.write { for write in context.beforeCommit { try write(context.app) } }
                return response
            }
        } catch {
            return .failure(KoppelingError(refusing: error, of: request.method, logger: context.app.logger))
        }
    }
}

extension KoppelingError {
    /// The refusal a thrown error becomes (the one mapping, `init(storageError:)`),
    /// logged with its cause when the caller cannot act on it.
    init(refusing error: any Error, of method: AnyMethod, logger: Logger) {
        self.init(storageError: error)
        // A scan stopped because its connection closed or the daemon stops
        // is no failure of the register: nobody waits for its reply.
        if let sqlite = error as? SQLiteError, sqlite.isInterrupted { return }
        if case .unavailable = self, !(error is KoppelingError) {
            // The method and the error only: params may hold a secret.
            logger.error("request failed", metadata: ["method": "\(method.name)", "error": "\(error)"])
        }
    }
}
