/// A stable, machine-readable reason why a request was refused.
///
/// The raw values are part of the protocol (`data.reason` and
/// `data.violations[].reason`): never rename one.
public enum Reason: String, Sendable, Codable, CaseIterable {
    // Input shape
    case required
    case tooLong = "too_long"
    case brin6Format = "brin6_format"
    case schoolNameRequired = "school_name_required"
    case schoolNameTooLong = "school_name_too_long"
    case nameRequired = "name_required"
    case nameTooLong = "name_too_long"
    case nameCharacters = "name_characters"
    /// Free text (a name, a reason) holds a verification code.
    case looksLikeCode = "looks_like_code"
    case agreementRequired = "agreement_required"
    case startDateFormat = "start_date_format"
    case startDateInPast = "start_date_in_past"
    case startDateTooFar = "start_date_too_far"
    case verificationCodeLength = "verification_code_length"
    case verificationCodeCharacters = "verification_code_characters"
    case verificationCodePrefix = "verification_code_prefix"
    case verificationCodeReused = "verification_code_reused"
    case catalogEntryInvalid = "catalog_entry_invalid"
    /// A catalogue text holds a character that would act on a terminal.
    case controlCharacter = "control_character"
    case endDateFormat = "end_date_format"
    case endDateBeforeStart = "end_date_before_start"
    case termsVersionRequired = "terms_version_required"
    case duplicateInBatch = "duplicate_in_batch"
    case dateFormat = "date_format"
    case limitRange = "limit_range"
    /// A bestuursnummer (5 digits) or KvK number (8 digits) is expected.
    case controllerNumberFormat = "controller_number_format"
    case emailFormat = "email_format"
    // State
    case schoolNotFound = "school_not_found"
    case koppelingNotFound = "koppeling_not_found"
    case schoolExists = "school_exists"
    case schoolHasActiveKoppelingen = "school_has_active_koppelingen"
    case alreadyActive = "already_active"
    case koppelingNotActive = "koppeling_not_active"
    case eckidKeyMismatch = "eckid_key_mismatch"
    case eckidNotSupported = "eckid_not_supported"
    case eckidImportNotFound = "eckid_import_not_found"
    case eckidAlreadyDisabled = "eckid_already_disabled"
    case catalogEntryInUse = "catalog_entry_in_use"
    /// The terms shown (`terms_version`) are no longer the current ones.
    case termsChanged = "terms_changed"
    /// A catalogue load gives another text under a terms version already known.
    case termsTextChanged = "terms_text_changed"
    /// A catalogue load changes part of what a school agrees to (the data
    /// set, the purpose, the supplier, …) under a terms version already
    /// known; `field` names the first part that differs.
    case consentChanged = "consent_changed"
    case termsAlreadyAccepted = "terms_already_accepted"
    // Warnings (in results, never refusals)
    case verificationCodeWeak = "verification_code_weak"
    case topdossierNotActive = "topdossier_not_active"
    case recommendedPrerequisiteNotActive = "recommended_prerequisite_not_active"
    // Ends by the daily run
    case endDateReached = "end_date_reached"
    // Protocol and service
    case parseError = "parse_error"
    case invalidRequest = "invalid_request"
    case duplicateMember = "duplicate_member"
    case methodNotFound = "method_not_found"
    case invalidParams = "invalid_params"
    case unknownParams = "unknown_params"
    case lineTooLong = "line_too_long"
    case permissionDenied = "permission_denied"
    /// The caller is in neither the admin nor the reader group.
    case notAMember = "not_a_member"
    /// An audit row that counts a caller's refusals beyond the per-minute limit.
    case auditSummary = "audit_summary"
    case databaseBusy = "database_busy"
    case shuttingDown = "shutting_down"
    case tooManyConnections = "too_many_connections"
    /// The caller's uid has a scan of a whole table (`audit.verify`) queued or running.
    case scanBusy = "scan_busy"
    case storageFailure = "storage_failure"
    case storageGone = "storage_gone"
    /// The full check of the register file found damage: changes refused.
    case storageDamaged = "storage_damaged"
    case internalError = "internal_error"
}

/// One failed rule: which field, why (stable code) and a Dutch sentence for
/// the person at the terminal. In a request of many rows (`school.import`,
/// `koppeling.activate_many`) `row` names the row, 1-based; elsewhere it is
/// left out.
public struct Violation: Error, Sendable, Equatable, Codable {
    public let field: String
    public let reason: Reason
    public let message: String
    public let row: Int?

    public init(field: String, reason: Reason, message: String, row: Int? = nil) {
        self.field = field
        self.reason = reason
        self.message = message
        self.row = row
    }

    /// The same violation, about row `row` (1-based) of a many-row request.
    public func inRow(_ row: Int, field: String) -> Violation {
        Violation(field: field, reason: reason, message: message, row: row)
    }
}

/// Advice in a result, never a refusal: the change was made.
public struct Warning: Sendable, Equatable, Codable {
    public let reason: Reason
    public let message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }
}
