import KoppelingCore
import KoppelingProtocol

/// The processing register as files: CSV for a spreadsheet, Markdown for a
/// document. Both carry every article-30 item, the controller, when the
/// export was made, the zone and where the audit trail stood; an item that
/// is empty says so (`ONTBREEKT`), never a blank that looks complete.
/// Instants are shown in the daemon's zone, as its dates are.
struct ProcessingRegisterFormat {
    let result: RegisterExportResult
    let times: LocalTimes

    init(_ result: RegisterExportResult, zoneDirectory: String = "/usr/share/zoneinfo") {
        self.result = result
        times = LocalTimes(zone: result.timeZone, directory: zoneDirectory)
    }

    static let missing = "ONTBREEKT"

    /// Dutch names of the gaps, by wire name.
    static let gapLabels: [String: String] = [
        "purpose": "doel", "data_subjects": "betrokkenen",
        "data_categories": "gegevens", "recipients": "ontvangers", "transfers": "doorgifte", "retention": "bewaartermijn",
        "security": "beveiliging", "legal_basis": "grondslag", "processor_agreement": "verwerkersovereenkomst",
    ]

    static func gapText(_ gaps: [String]) -> String {
        gaps.map { gapLabels[$0] ?? $0 }.joined(separator: ", ")
    }

    func recordText(_ r: ProcessingRecord) -> String {
        switch r.acceptedRecord {
        case .atAcceptance: "bij het akkoord"
        case .atUpgrade: "bij de upgrade op \(times.format(r.acceptedRecordedAt) ?? "?") (wat eerder gold is niet bekend)"
        case .notKept: "niet bewaard"
        }
    }

    var zoneLabel: String { "(\(result.timeZone))" }

    var header: [String] {
        [
            "BRIN6", "School", "Koppeling-id", "Koppeling", "Categorie", "Leverancier", "Doel", "Grondslag",
            "Betrokkenen", "Gegevensset", "Velden", "Ontvangers", "Doorgifte en locatie", "Bewaartermijn",
            "Beveiliging", "Verwerkersovereenkomst", "Inhoud vastgelegd", "Inhoud SHA-256", "Catalogus nu anders",
            "Geactiveerd op \(zoneLabel)", "Akkoord gegeven door", "Gebruiker", "Startdatum", "Einddatum", "Actief",
            "Beëindigd op \(zoneLabel)", "Beëindigd door", "Reden beëindiging", "Voorwaarden versie",
            "Voorwaarden SHA-256", "Laatste akkoord op \(zoneLabel)", "Laatste akkoord door", "Voorwaarden verouderd",
            "Ontbreekt", "Verwerkingsverantwoordelijke", "Bestuurs- of KvK-nummer", "Adres", "Contact", "FG",
            "FG e-mail", "Geëxporteerd op", "Tijdzone", "Logboek tot en met regel", "Logboek-hash",
        ]
    }

    func cells(_ r: ProcessingRecord) -> [String] {
        let m = Self.missing
        let a = r.accepted
        let c = result.controller?.controller
        return [
            r.brin6, r.schoolName ?? "(verwijderd)", r.koppeling, r.koppelingName, r.category, a?.supplier ?? m,
            a.map { $0.purpose.isEmpty ? m : $0.purpose } ?? m, a?.legalBasis ?? m,
            a?.dataSet.dataSubjects.map { $0.isEmpty ? m : $0.joined(separator: ", ") } ?? m, a?.dataSet.profile ?? m,
            a.map { $0.dataSet.fields.isEmpty ? m : $0.dataSet.fields.map(\.name).joined(separator: ", ") } ?? m,
            a?.recipients ?? m, a?.transfers ?? m, a?.retention ?? m, a?.security ?? m,
            a?.processorAgreement.map { "\($0.name) \($0.version)" } ?? m, recordText(r), r.consentSha256 ?? "",
            r.catalogDiffers.map { $0 ? "ja" : "nee" } ?? "onbekend", times.format(r.activatedAt), r.activatedByName,
            r.activatedBy, r.startDate, r.endDate ?? "", r.active ? "ja" : "nee", times.format(r.endedAt) ?? "",
            r.endedBy ?? "", r.endReason ?? "", r.termsVersion, r.termsSha256 ?? "onbekend",
            times.format(r.termsAcceptedAt), r.termsAcceptedByName, r.termsOutdated ? "ja" : "nee",
            Self.gapText(r.gaps), c?.name ?? m, c?.number ?? m, c?.address ?? m, c?.contact ?? m,
            c?.privacyOfficer.name ?? m, c?.privacyOfficer.email ?? m, result.exportedAt, result.timeZone,
            result.auditHead.map { String($0.id) } ?? "leeg", result.auditHead?.value ?? "",
        ]
    }

    /// `;`-separated, UTF-8 with a BOM and CRLF line ends, as Dutch
    /// spreadsheet programs open it; every cell guarded (`SpreadsheetCell`).
    func csv() -> String {
        var out = "\u{FEFF}"
        for row in [header] + result.rows.map(cells) {
            out += row.map(SpreadsheetCell.csv).joined(separator: ";") + "\r\n"
        }
        return out
    }

    func markdown() -> String {
        let e = MarkdownText.escape
        var out = "# Verwerkingsregister koppelingen\n\n"
        out += "Geëxporteerd op \(result.exportedAt); tijden en datums in \(result.timeZone). "
        out += "\(result.rows.count) activering(en). "
        if let head = result.auditHead {
            out += "Logboek tot en met regel \(head.id), hash `\(head.value)`.\n"
        } else {
            out += "Het logboek is leeg.\n"
        }
        out += "\n## Verwerkingsverantwoordelijke\n\n"
        if let record = result.controller {
            let c = record.controller
            out += "- **Bestuur:** \(e(c.name)) (\(e(c.number)))\n- **Adres:** \(e(c.address))\n"
            out += "- **Contact:** \(e(c.contact))\n"
            out += "- **Functionaris gegevensbescherming:** \(e(c.privacyOfficer.name)), \(e(c.privacyOfficer.email))\n"
            out += "- **Vastgelegd:** \(times.format(record.setAt)) door \(e(record.setBy))\n"
        } else {
            out += "**\(Self.missing):** nog niet vastgelegd (`koppelingctl register controller set`).\n"
        }
        var school: String?
        for r in result.rows {
            if r.brin6 != school {
                school = r.brin6
                out += "\n## \(r.brin6) \(e(r.schoolName ?? "(verwijderd)"))\n"
            }
            out += "\n### \(e(r.koppelingName)) (\(e(r.koppeling)))\(r.active ? "" : " — beëindigd")\n\n"
            for (label, value) in markdownLines(r) { out += "- **\(label):** \(value)\n" }
        }
        return out
    }

    private func markdownLines(_ r: ProcessingRecord) -> [(String, String)] {
        let e = MarkdownText.escape
        let m = "**\(Self.missing)**"
        func or(_ s: String?) -> String { s.map(e) ?? m }
        let a = r.accepted
        var lines: [(String, String)] = [("Categorie", e(r.category))]
        if let a {
            lines += [
                ("Leverancier", e(a.supplier)), ("Doel", a.purpose.isEmpty ? m : e(a.purpose)),
                ("Grondslag", or(a.legalBasis)),
                (
                    "Gegevensset",
                    e(a.dataSet.profile)
                        + (a.dataSet.fields.isEmpty
                            ? " — \(m)"
                            : ": "
                                + a.dataSet.fields.map {
                                    e($0.name) + " (" + ($0.dataSubjects.map { e($0.joined(separator: ", ")) } ?? m)
                                        + ")"
                                }.joined(separator: ", "))
                ),
                ("Ontvangers", or(a.recipients)), ("Doorgifte en locatie", or(a.transfers)),
                ("Bewaartermijn", or(a.retention)), ("Beveiliging", or(a.security)),
                ("Verwerkersovereenkomst", a.processorAgreement.map { e("\($0.name), versie \($0.version)") } ?? m),
            ]
        } else {
            lines.append(("Inhoud", "\(m): wat bij dit akkoord gold is niet bewaard"))
        }
        lines += [
            ("Inhoud vastgelegd", e(recordText(r)) + (r.consentSha256.map { ", SHA-256 `\($0)`" } ?? "")),
            ("Geactiveerd", "\(times.format(r.activatedAt)) door \(e(r.activatedByName)) (gebruiker \(e(r.activatedBy)))"),
            ("Periode", "\(r.startDate) tot en met \(r.endDate ?? "(geen einddatum)")"),
            (
                "Voorwaarden",
                "versie \(e(r.termsVersion)), SHA-256 \(r.termsSha256.map { "`\($0)`" } ?? "onbekend"); laatste akkoord "
                    + "\(times.format(r.termsAcceptedAt)) door \(e(r.termsAcceptedByName))"
                    + (r.termsOutdated ? " — **verouderd: opnieuw akkoord nodig**" : "")
            ),
        ]
        if r.catalogDiffers == true {
            lines.append(("Catalogus", "de huidige catalogus wijkt af van wat hier aanvaard is (nieuwere versie)"))
        }
        if let endedAt = r.endedAt {
            lines.append(
                (
                    "Beëindigd",
                    "\(times.format(endedAt)) door \(e(r.endedBy ?? "?"))" + (r.endReason.map { " (\(e($0)))" } ?? "")
                )
            )
        }
        if !r.gaps.isEmpty { lines.append(("Ontbreekt", Self.gapText(r.gaps))) }
        return lines
    }
}

/// Text from a catalogue file or a request, shown literally in Markdown:
/// every ASCII punctuation character is escaped (CommonMark allows it for
/// all of them), so no link, emphasis, heading or HTML written into a
/// catalogue renders on the officer's screen.
enum MarkdownText {
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            if isASCIIPunctuation(ch) {
                out.unicodeScalars.append("\\")
            }
            out.unicodeScalars.append(ch)
        }
        return out
    }

    static func isASCIIPunctuation(_ c: Unicode.Scalar) -> Bool {
        (0x21...0x2F).contains(c.value) || (0x3A...0x40).contains(c.value) || (0x5B...0x60).contains(c.value)
            || (0x7B...0x7E).contains(c.value)
    }
}
