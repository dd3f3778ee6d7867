import KoppelingCore

/// Every method of the socket protocol, each declared once. The daemon
/// registers one handler per descriptor, koppelingctl calls through them,
/// and every list of methods (hello, the audit's labels, the docs and
/// man-page checks, the permission and fuzz tests) is made from `all`.
public enum Methods {
    public static let hello = MethodDescriptor<NoParams, HelloResult>(
        "hello",
        .read,
        needsDatabase: false,
        label: "kennismaken",
        command: nil
    )
    public static let status = MethodDescriptor<NoParams, StatusResult>(
        "status",
        .read,
        label: "toestand",
        command: "status"
    )
    public static let schoolAdd = MethodDescriptor<SchoolAddParams, SchoolResult>(
        "school.add",
        .write,
        label: "school toevoegen",
        command: "school add"
    )
    public static let schoolList = MethodDescriptor<NoParams, SchoolListResult>(
        "school.list",
        .read,
        label: "scholen tonen",
        command: "school list"
    )
    public static let schoolGet = MethodDescriptor<Brin6Params, SchoolDetailResult>(
        "school.get",
        .read,
        label: "school tonen",
        command: "school show"
    )
    public static let schoolRemove = MethodDescriptor<Brin6Params, SchoolResult>(
        "school.remove",
        .write,
        label: "school verwijderen",
        command: "school remove"
    )
    public static let schoolImport = MethodDescriptor<SchoolImportParams, SchoolImportResult>(
        "school.import",
        .write,
        label: "scholen importeren",
        command: "school import"
    )
    public static let catalogList = MethodDescriptor<NoParams, CatalogListResult>(
        "catalog.list",
        .read,
        label: "catalogus tonen",
        command: "catalog list"
    )
    public static let catalogGet = MethodDescriptor<CatalogGetParams, CatalogGetResult>(
        "catalog.get",
        .read,
        label: "koppeling tonen",
        command: "catalog show"
    )
    public static let catalogLoad = MethodDescriptor<CatalogLoadParams, CatalogLoadResult>(
        "catalog.load",
        .write,
        label: "catalogus laden",
        command: "catalog load"
    )
    public static let koppelingOverview = MethodDescriptor<Brin6Params, OverviewResult>(
        "koppeling.overview",
        .read,
        label: "koppelingen tonen",
        command: "koppelingen"
    )
    public static let koppelingActivate = MethodDescriptor<ActivationInput, ActivateResult>(
        "koppeling.activate",
        .write,
        label: "koppeling activeren",
        command: "activate"
    )
    public static let koppelingActivateMany = MethodDescriptor<ActivateManyParams, ActivateManyResult>(
        "koppeling.activate_many",
        .write,
        label: "koppeling activeren (meerdere scholen)",
        command: "activate"
    )
    public static let koppelingReaccept = MethodDescriptor<ReacceptParams, ReacceptResult>(
        "koppeling.reaccept",
        .write,
        label: "opnieuw akkoord",
        command: "reaccept"
    )
    public static let koppelingDeactivate = MethodDescriptor<DeactivateParams, DeactivateResult>(
        "koppeling.deactivate",
        .write,
        label: "koppeling beëindigen",
        command: "deactivate"
    )
    public static let eckidSetKey = MethodDescriptor<SetKeyParams, SetKeyResult>(
        "eckid.set_key",
        .write,
        label: "ECKiD-sleutel invoeren",
        command: "eckid set-key"
    )
    public static let eckidStatus = MethodDescriptor<EckidStatusParams, EckidStatusResult>(
        "eckid.status",
        .read,
        label: "ECKiD-imports tonen",
        command: "eckid status"
    )
    public static let eckidDisable = MethodDescriptor<Brin6Params, EckidDisableResult>(
        "eckid.disable",
        .write,
        label: "ECKiD-import stoppen",
        command: "eckid disable"
    )
    public static let timerStatus = MethodDescriptor<NoParams, TimerStatusResult>(
        "timer.status",
        .read,
        label: "dagelijkse run tonen",
        command: "timer status"
    )
    public static let timerRun = MethodDescriptor<NoParams, TimerRunResult>(
        "timer.run",
        .write,
        label: "dagelijkse run",
        command: "timer run"
    )
    public static let auditList = MethodDescriptor<AuditListParams, AuditListResult>(
        "audit.list",
        .read,
        label: "logboek tonen",
        command: "audit list"
    )
    /// A scan: it reads every activation ever made (ended ones too) and
    /// encodes tens of megabytes for 20,000 schools, seconds.
    public static let registerExport = MethodDescriptor<RegisterExportParams, RegisterExportResult>(
        "register.export",
        .scan,
        label: "verwerkingsregister",
        command: "register export"
    )
    public static let registerSetController = MethodDescriptor<SetControllerParams, ControllerResult>(
        "register.set_controller",
        .write,
        label: "verwerkingsverantwoordelijke vastleggen",
        command: "register controller set"
    )
    public static let registerGetController = MethodDescriptor<NoParams, ControllerResult>(
        "register.get_controller",
        .read,
        label: "verwerkingsverantwoordelijke tonen",
        command: "register controller show"
    )
    /// A scan: a period may hold every activation of years.
    public static let registerChanges = MethodDescriptor<RegisterChangesParams, RegisterChangesResult>(
        "register.changes",
        .scan,
        label: "wijzigingen in het register",
        command: "register changes"
    )
    /// A scan of the whole audit trail. A read: the check reveals no secret
    /// (only whether the rows verify), so everyone who may read the audit
    /// may run it.
    public static let auditVerify = MethodDescriptor<NoParams, AuditVerifyResult>(
        "audit.verify",
        .scan,
        label: "logboek controleren",
        command: "audit verify"
    )
    /// Exclusive: `VACUUM INTO` cannot run inside a transaction.
    public static let backupCreate = MethodDescriptor<NoParams, BackupResult>(
        "backup.create",
        .exclusive,
        label: "back-up maken",
        command: "backup"
    )

    public static let version = MethodDescriptor<NoParams, VersionResult>(
        "version",
        .read,
        needsDatabase: false,
        label: "versie tonen",
        command: "version"
    )

    /// Every method, in the order `hello` lists them.
    public static let all: [AnyMethod] = [
        hello.erased, status.erased, schoolAdd.erased, schoolList.erased, schoolGet.erased, schoolRemove.erased,
        schoolImport.erased, catalogList.erased, catalogGet.erased, catalogLoad.erased, koppelingOverview.erased,
        koppelingActivate.erased, koppelingActivateMany.erased, koppelingReaccept.erased,
        koppelingDeactivate.erased, eckidSetKey.erased, eckidStatus.erased, eckidDisable.erased,
        timerStatus.erased, timerRun.erased, auditList.erased, registerExport.erased,
        registerSetController.erased, registerGetController.erased, registerChanges.erased, auditVerify.erased,
        backupCreate.erased, version.erased,
    ]

    /// The method of a wire name; nil for a name that is none.
    public static func named(_ name: String) -> AnyMethod? { byName[name] }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
