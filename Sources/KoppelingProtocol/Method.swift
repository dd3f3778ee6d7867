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
    case koppelingDeactivate = "koppeling.deactivate"
    case eckidSetKey = "eckid.set_key"
    case eckidStatus = "eckid.status"
    case eckidDisable = "eckid.disable"
    case timerStatus = "timer.status"
    case timerRun = "timer.run"
    case auditList = "audit.list"
    case backupCreate = "backup.create"

    /// Whether the method changes the register (and so needs an admin).
    public var changesState: Bool {
        switch self {
        case .schoolAdd, .schoolRemove, .schoolImport, .catalogLoad, .koppelingActivate, .koppelingDeactivate,
             .eckidSetKey, .eckidDisable, .timerRun, .backupCreate:
            return true
        case .hello, .status, .schoolList, .schoolGet, .catalogList, .catalogGet, .koppelingOverview,
             .eckidStatus, .timerStatus, .auditList:
            return false
        }
    }
}

extension Method {
    /// Whether the change and its audit row commit in one transaction
    /// (`VACUUM INTO` cannot run inside one).
    public var runsInTransaction: Bool { changesState && self != .backupCreate }
}

public enum ProtocolInfo {
    public static let version = 1
    public static let daemonVersion = "0.1.0"
    /// The longest line either side accepts, newline excluded.
    public static let maxLineBytes = 1 << 20
}
