import KoppelingCore

/// The record of processing (AVG article 30(1)) as `register.export`
/// returns it.
public struct RegisterExportResult: Codable, Sendable {
    /// When the export was made, as an instant with the zone's offset then
    /// (`2026-12-01T09:22:05+01:00`), and the daemon's zone, in which every
    /// date of the rows is a local date.
    public var exportedAt: String
    public var timeZone: String
    /// The bestuur and its privacy officer; null until set (then a gap).
    @NullWhenAbsent public var controller: ControllerRecord?
    /// Where the audit trail stood: a printed export names the row it can
    /// be matched against. Null while the trail is empty.
    @NullWhenAbsent public var auditHead: AuditHead?
    /// Items of the record empty for the whole export (`controller`).
    public var gaps: [String]
    public var rows: [ProcessingRecord]

    public init(
        exportedAt: String,
        timeZone: String,
        controller: ControllerRecord?,
        auditHead: AuditHead?,
        rows: [ProcessingRecord]
    ) {
        self.exportedAt = exportedAt
        self.timeZone = timeZone
        self.controller = controller
        self.auditHead = auditHead
        self.gaps = controller == nil ? ["controller"] : []
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case rows, controller, gaps
        case exportedAt = "exported_at"
        case timeZone = "time_zone"
        case auditHead = "audit_head"
    }
}

/// The audit chain's last row: its id and chain value (hex).
public struct AuditHead: Codable, Sendable, Equatable {
    public var id: Int64
    public var value: String
    public init(id: Int64, value: String) {
        self.id = id
        self.value = value
    }
}

/// `register.set_controller`: the bestuur and its privacy officer.
public struct SetControllerParams: RPCParams {
    public var name: String
    public var number: String
    public var address: String
    public var contact: String
    public var privacyOfficer: Controller.PrivacyOfficer
    public init(_ c: Controller) {
        name = c.name
        number = c.number
        address = c.address
        contact = c.contact
        privacyOfficer = c.privacyOfficer
    }
    public var controller: Controller {
        Controller(name: name, number: number, address: address, contact: contact, privacyOfficer: privacyOfficer)
    }
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case name, number, address, contact
        case privacyOfficer = "privacy_officer"
    }
}

public struct ControllerResult: Codable, Sendable {
    /// Null until an administrator sets it.
    @NullWhenAbsent public var controller: ControllerRecord?
    public init(controller: ControllerRecord?) { self.controller = controller }
}

/// `register.changes`: a period of local dates, both included.
public struct RegisterChangesParams: RPCParams {
    public var from: String
    public var to: String
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
    public enum CodingKeys: String, CodingKey, CaseIterable { case from, to }
}

public struct RegisterChangesResult: Codable, Sendable {
    public var from: String
    public var to: String
    public var timeZone: String
    /// Oldest first.
    public var changes: [RegisterChange]
    public init(from: String, to: String, timeZone: String, changes: [RegisterChange]) {
        self.from = from
        self.to = to
        self.timeZone = timeZone
        self.changes = changes
    }
    enum CodingKeys: String, CodingKey {
        case from, to, changes
        case timeZone = "time_zone"
    }
}
