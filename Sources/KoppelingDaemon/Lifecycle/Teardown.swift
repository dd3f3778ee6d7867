/// What was opened, closed again in reverse order: the one teardown, for a
/// start that fails halfway and for a shutdown alike.
final class Teardown: @unchecked Sendable {
    // Only touched by the start (before any service runs) and then by the
    // one service that unwinds it.
    private var steps: [@Sendable () async -> Void] = []

    func push(_ step: @escaping @Sendable () async -> Void) { steps.append(step) }

    func unwind() async {
        while let step = steps.popLast() { await step() }
    }
}
