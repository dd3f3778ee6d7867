import KoppelingProtocol
import Logging
import NIOCore

/// The handlers of every client connection, in order; the daemon's socket
/// and the tests build it here.
///
/// The line deadline looks at the raw bytes, so a started line must end in
/// time however slowly its bytes come. The idle timeout comes after the
/// decoder and the blank-line filter, so only request lines count as
/// activity: keep-alives, or the bytes of one, do not hold a connection.
struct ConnectionPipeline: Sendable {
    let responder: any Responder
    let callers: any CallerSource
    let registry: ConnectionRegistry
    /// Lines a connection may have read and not yet answered.
    let maxWaiting: Int
    let idleTimeout: TimeAmount
    let lineTimeout: TimeAmount
    let logger: Logger

    /// Adds the handlers; call it on the channel's event loop.
    func addHandlers(to channel: any Channel) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(LineDeadlineHandler(timeout: lineTimeout, logger: logger))
        try sync.addHandler(
            ByteToMessageHandler(
                LineDecoder(maxLength: ProtocolInfo.maxLineBytes),
                maximumBufferSize: ProtocolInfo.maxLineBytes + 2
            )
        )
        try sync.addHandler(BlankLineFilter())
        try sync.addHandler(IdleTimeoutHandler(timeout: idleTimeout))
        try sync.addHandler(AdmissionHandler(callers: callers, registry: registry, logger: logger))
        try sync.addHandler(
            ConnectionHandler(responder: responder, maxWaiting: maxWaiting, logger: logger)
        )
    }
}
