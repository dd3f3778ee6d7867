/// Every method of the socket protocol. The raw values are the wire names.
public enum Method: String, Sendable, CaseIterable {
    case hello
    case status
    case schoolAdd = "school.add"
    case schoolList = "school.list"
    case schoolGet = "school.get"
    case schoolRemove = "school.remove"
    case schoolImport = "school.import"
    case catalogList = "catalog.list"
    case catalogGet = "catalog.get"
    case catalogLoad = "catalog.load"
    case koppelingOverview = "koppeling.overview"
    case koppelingActivate = "koppeling.activate"
    case koppelingActivateMany = "koppeling.activate_many"
    case koppelingReaccept = "koppeling.reaccept"
    case koppelingDeactivate = "koppeling.deactivate"
    case eckidSetKey = "eckid.set_key"
    case eckidStatus = "eckid.status"
    case eckidDisable = "eckid.disable"
    case timerStatus = "timer.status"
    case timerRun = "timer.run"
    case auditList = "audit.list"
    case registerExport = "register.export"
    case auditVerify = "audit.verify"
    case backupCreate = "backup.create"

    /// How the daemon runs the method: the one property that decides where
    /// and in which transaction.
    public var execution: Execution {
        switch self {
        case .schoolAdd, .schoolRemove, .schoolImport, .catalogLoad, .koppelingActivate, .koppelingActivateMany,
            .koppelingReaccept, .koppelingDeactivate, .eckidSetKey, .eckidDisable, .timerRun:
            return .write
        case .backupCreate:
            return .exclusive
        case .hello, .status, .schoolList, .schoolGet, .catalogList, .catalogGet, .koppelingOverview,
            .eckidStatus, .timerStatus, .auditList:
            return .read
        case .auditVerify, .registerExport:
            // Reads: the check reveals no secret (only whether the rows
            // verify), so everyone who may read the audit may run it. The
            // export reads every activation ever made (ended ones too) and
            // encodes tens of megabytes for 20,000 schools: seconds.
            return .scan
        }
    }

    /// Whether the method changes the register (or copies it), and so needs
    /// an administrator and is audited.
    public var changesState: Bool { execution == .write || execution == .exclusive }
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
