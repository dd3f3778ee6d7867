import ArgumentParser

/// What the connections ask for.
enum Mix: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `hello`, `school.get` and `koppeling.overview` in turn, on the schools
    /// the set-up phase registered.
    case read
    /// Per fresh school: `school.add`, two activations with fresh codes,
    /// two deactivations — every request a durable change.
    case write
    /// Three reads, then the next step of the write cycle.
    case mixed
    /// `school.get` alone, on the schools the set-up phase registered: the
    /// read compared with redis GET.
    case get
    /// `school.add` alone, each a fresh school: the durable write compared
    /// with a raw one-row SQLite commit.
    case add
}

/// The methods the mixes send, as indices into per-method counters.
enum BenchMethod: Int, CaseIterable, Sendable {
    case hello, schoolGet, overview, schoolAdd, activate, deactivate

    var wireName: String {
        switch self {
        case .hello: "hello"
        case .schoolGet: "school.get"
        case .overview: "koppeling.overview"
        case .schoolAdd: "school.add"
        case .activate: "koppeling.activate"
        case .deactivate: "koppeling.deactivate"
        }
    }
}
