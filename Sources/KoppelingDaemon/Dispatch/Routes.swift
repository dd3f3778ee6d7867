import KoppelingCore
import KoppelingProtocol

/// One handler for each descriptor of `Methods`, typed by it.
enum Routes {
    static let all: [Route] = [
        .make(Methods.hello) { app, _, _ in app.hello() },
        .make(Methods.status) { app, _, _ in try app.status() },
        .make(Methods.schoolAdd, subject: { .init(school: $0.brin6) }) { app, p, _ in try app.addSchool(p) },
        .make(Methods.schoolList) { app, _, _ in try app.listSchools() },
        .make(Methods.schoolGet) { app, p, _ in try app.getSchool(p) },
        .make(Methods.schoolRemove, subject: { .init(school: $0.brin6) }) { app, p, _ in try app.removeSchool(p) },
        .make(Methods.schoolImport, subject: { .init(schools: $0.schools.map(\.brin6)) }) { app, p, _ in
            try app.importSchools(p)
        },
        .make(Methods.catalogList) { app, _, _ in try app.listCatalog() },
        .make(Methods.catalogGet) { app, p, _ in try app.getCatalogEntry(p) },
        .make(Methods.catalogLoad) { app, p, _ in try app.loadCatalog(p) },
        .make(Methods.koppelingOverview) { app, p, _ in try app.overview(p) },
        .make(Methods.koppelingActivate, subject: { .init(school: $0.school, koppeling: $0.koppeling) }) {
            app,
            p,
            caller in try app.activate(p, caller: caller)
        },
        .make(
            Methods.koppelingActivateMany,
            subject: { .init(koppeling: $0.koppeling, schools: $0.schools.map(\.brin6)) }
        ) {
            app,
            p,
            caller in try app.activateMany(p, caller: caller)
        },
        .make(Methods.koppelingReaccept, subject: { .init(school: $0.brin6, koppeling: $0.koppeling) }) {
            app,
            p,
            caller in try app.reaccept(p, caller: caller)
        },
        .make(Methods.koppelingDeactivate, subject: { .init(school: $0.brin6, koppeling: $0.koppeling) }) {
            app,
            p,
            caller in try app.deactivate(p, caller: caller)
        },
        .make(Methods.eckidSetKey, subject: { .init(school: $0.brin6, koppeling: EckidRules.catalogId) }) {
            app,
            p,
            caller in try app.setEckidKey(p, caller: caller)
        },
        .make(Methods.eckidStatus) { app, p, _ in try app.eckidStatus(p) },
        .make(Methods.eckidDisable, subject: { .init(school: $0.brin6, koppeling: EckidRules.catalogId) }) {
            app,
            p,
            caller in try app.disableEckid(p, caller: caller)
        },
        .make(Methods.timerStatus) { app, _, _ in try app.timerStatus() },
        .make(Methods.timerRun) { app, _, _ in try app.runTimerNow() },
        .make(Methods.auditList) { app, p, _ in try app.auditList(p) },
        .make(Methods.registerExport) { app, p, _ in try app.registerExport(p) },
        .make(Methods.registerSetController) { app, p, caller in try app.setController(p, caller: caller) },
        .make(Methods.registerGetController) { app, _, _ in try app.getController() },
        .make(Methods.registerChanges) { app, p, _ in try app.registerChanges(p) },
        .make(Methods.auditVerify) { app, _, _ in try app.verifyAudit() },
        .make(Methods.backupCreate) { app, _, _ in try app.createBackup() },
        .make(Methods.version) { _, _, _ in
            VersionResult(daemon: "koppelingd", version: ProtocolInfo.daemonVersion, protocol: ProtocolInfo.version)
        },
    ]

    static let byName: [String: Route] = Dictionary(uniqueKeysWithValues: all.map { ($0.method.name, $0) })
}
