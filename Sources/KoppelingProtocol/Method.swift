/// One method of the socket protocol: its wire name, the types of its
/// params and result, where it runs and its Dutch label. Declared once, in
/// `Methods`; the daemon's handler and the client's call are typed by it,
/// so neither can drift from the other.
public struct MethodDescriptor<Params: RPCParams, Result: Codable & Sendable>: Sendable {
    /// The same facts without the types, for the lists made from `Methods.all`.
    public let erased: AnyMethod

    public var name: String { erased.name }
    public var execution: Execution { erased.execution }
    public var label: String { erased.label }
    public var needsDatabase: Bool { erased.needsDatabase }

    /// `command`: the koppelingctl command that calls it (words separated
    /// by spaces), nil when none does; the man page is made from it.
    /// `needsDatabase`: false for a read answered from the daemon alone.
    public init(
        _ name: String,
        _ execution: Execution,
        needsDatabase: Bool = true,
        label: String,
        command: String?
    ) {
        erased = AnyMethod(
            name: name,
            execution: execution,
            needsDatabase: needsDatabase,
            label: label,
            command: command,
            paramKeys: Params.allowedKeys
        )
    }
}

/// A method's facts without its types.
public struct AnyMethod: Sendable, Hashable, CustomStringConvertible {
    /// The wire name.
    public let name: String
    /// How the daemon runs it: the one property that decides where and in
    /// which transaction.
    public let execution: Execution
    /// False for a read answered from the daemon alone (`hello`,
    /// `version`): it runs where reads run, but opens no transaction.
    public let needsDatabase: Bool
    /// Its Dutch name for human output (the audit).
    public let label: String
    /// The koppelingctl command that calls it, words separated by spaces.
    public let command: String?
    /// The member names its `params` may hold.
    public let paramKeys: Set<String>

    /// Whether the method changes the register (or copies it), and so needs
    /// an administrator and is audited.
    public var changesState: Bool { execution == .write || execution == .exclusive }

    public var description: String { name }

    /// The name identifies a method: `Methods` declares each once.
    public static func == (a: AnyMethod, b: AnyMethod) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// Where and how a method runs.
public enum Execution: Sendable, Equatable {
    /// Changes nothing: on the event loop, on its read-only connection, in
    /// one snapshot.
    case read
    /// Changes the register: on the database thread, together with its
    /// audit row, in the batch's transaction (a savepoint of its own).
    case write
    /// Works on the whole register outside any transaction (`VACUUM INTO`
    /// for a backup): on the database thread, alone.
    case exclusive
    /// Reads every row of a table that grows without bound (the audit
    /// trail for `audit.verify`, the activations for `register.export`):
    /// seconds on a large register. Off the
    /// event loop and the writer, on a read-only connection of its own, at
    /// most one queued or running per uid (more is refused, `scan_busy`),
    /// dropped when its connection closes, stopped when the daemon stops.
    case scan
}

public enum ProtocolInfo {
    public static let version = 2
    public static let daemonVersion = "0.1.0"
    /// The longest line either side accepts, newline excluded.
    public static let maxLineBytes = 1 << 20
}
