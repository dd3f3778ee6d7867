import KoppelingCore
import KoppelingProtocol

/// The one table that maps each protocol method to its handler.
enum Routes {
    static let all: [Route] = [
        .make(.hello) { (app, _: NoParams, _) in app.hello() },
        .make(.status) { (app, _: NoParams, _) in try app.status() },
        .make(.schoolAdd, subject: { (p: SchoolAddParams) in .init(school: p.brin6) }) { (app, p, _) in
            try app.addSchool(p)
        },
        .make(.schoolList) { (app, _: NoParams, _) in try app.listSchools() },
        .make(.schoolGet) { (app, p: Brin6Params, _) in try app.getSchool(p) },
        .make(.schoolRemove, subject: { (p: Brin6Params) in .init(school: p.brin6) }) { (app, p, _) in
            try app.removeSchool(p)
        },
        .make(.schoolImport, subject: { (p: SchoolImportParams) in .init(schools: p.schools.map(\.brin6)) }) {
            (app, p, _) in try app.importSchools(p)
        },
        .make(.catalogList) { (app, _: NoParams, _) in try app.listCatalog() },
        .make(.catalogGet) { (app, p: CatalogGetParams, _) in try app.getCatalogEntry(p) },
        .make(.catalogLoad) { (app, p: CatalogLoadParams, _) in try app.loadCatalog(p) },
        .make(.koppelingOverview) { (app, p: Brin6Params, _) in try app.overview(p) },
        .make(.koppelingActivate, subject: { (p: ActivationInput) in .init(school: p.school, koppeling: p.koppeling) })
        {
            (app, p, caller) in try app.activate(p, caller: caller)
        },
        .make(
            .koppelingActivateMany,
            subject: { (p: ActivateManyParams) in .init(koppeling: p.koppeling, schools: p.schools.map(\.brin6)) }
        ) {
            (app, p, caller) in try app.activateMany(p, caller: caller)
        },
        .make(.koppelingReaccept, subject: { (p: ReacceptParams) in .init(school: p.brin6, koppeling: p.koppeling) }) {
            (app, p, caller) in try app.reaccept(p, caller: caller)
        },
        .make(
            .koppelingDeactivate,
            subject: { (p: DeactivateParams) in .init(school: p.brin6, koppeling: p.koppeling) }
        ) {
            (app, p, caller) in try app.deactivate(p, caller: caller)
        },
        .make(.eckidSetKey, subject: { (p: SetKeyParams) in .init(school: p.brin6, koppeling: EckidRules.catalogId) }) {
            (app, p, caller) in try app.setEckidKey(p, caller: caller)
        },
        .make(.eckidStatus) { (app, p: EckidStatusParams, _) in try app.eckidStatus(p) },
        .make(.eckidDisable, subject: { (p: Brin6Params) in .init(school: p.brin6, koppeling: EckidRules.catalogId) }) {
            (app, p, caller) in try app.disableEckid(p, caller: caller)
        },
        .make(.timerStatus) { (app, _: NoParams, _) in try app.timerStatus() },
        .make(.timerRun) { (app, _: NoParams, _) in try app.runTimerNow() },
        .make(.auditList) { (app, p: AuditListParams, _) in try app.auditList(p) },
        .make(.registerExport) { (app, p: RegisterExportParams, _) in try app.registerExport(p) },
        .make(.auditVerify) { (app, _: NoParams, _) in try app.verifyAudit() },
        .make(.backupCreate) { (app, _: NoParams, _) in try app.createBackup() },
    ]

    static let byName: [String: Route] = Dictionary(uniqueKeysWithValues: all.map { ($0.method.rawValue, $0) })
}
