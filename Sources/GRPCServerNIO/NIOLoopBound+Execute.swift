import NIOCore

extension NIOLoopBound where Value == GRPCConnectionHandler {
    /// Runs `body` with the handler on its event loop (from any thread).
    func execute(_ body: @escaping @Sendable (GRPCConnectionHandler) -> Void) {
        let bound = self
        eventLoop.execute { body(bound.value) }
    }
}
