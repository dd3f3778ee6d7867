/// One cell of a CSV file that a spreadsheet program opens: its value must
/// come back as written, and must never run.
///
/// Spreadsheets turn text that looks like a number, a date or a truth value
/// into one (`2024.10` becomes `2024.1`, `01234` becomes `1234`,
/// `2026-12-06 03:14` a date-time), and run text that starts like a formula
/// (`=`, `+`, `-`, `@`). A quote around the field does not stop either. Such
/// a cell is written as a formula that is only a text constant,
/// `="2024.10"`: both LibreOffice and Excel show the text itself, exactly,
/// and nothing in it is evaluated (a `"` inside is doubled). Excel takes at
/// most 255 characters in one text constant, so a long value is joined
/// from pieces (`="…"&"…"`).
enum SpreadsheetCell {
    /// The cell as a CSV field (`;`-separated), quoted when it must be.
    static func csv(_ value: String) -> String {
        let v = needsText(value) ? textFormula(value) : value
        // By scalar: in Swift "\r\n" is one Character, equal to neither.
        guard v.unicodeScalars.contains(where: { ";\",\n\r".unicodeScalars.contains($0) }) else { return v }
        return "\"" + v.replacing("\"", with: "\"\"") + "\""
    }

    /// Whether a spreadsheet might read `value` as anything but this text:
    /// a formula, a number, a date or time, a percentage or a truth value.
    /// Wider than needed on purpose (any text starting with a digit): a
    /// text constant shows the same text, so wrapping too much costs
    /// nothing, and what a spreadsheet converts differs by program and
    /// locale.
    static func needsText(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first(where: { $0 != " " }) else { return false }
        if "=+-@\t\r\n.,(€$#'".unicodeScalars.contains(first) { return true }
        if first.properties.numericType != nil { return true }
        let word = value.trimmingWhitespace().lowercased()
        return ["true", "false", "waar", "onwaar"].contains(word)
    }

    /// Excel's limit, in UTF-16 units, for one text constant.
    static let pieceLength = 255

    static func textFormula(_ value: String) -> String {
        var pieces: [String] = []
        var piece = ""
        var units = 0
        for ch in value {
            let n = ch.utf16.count
            if units + n > pieceLength, !piece.isEmpty {
                pieces.append(piece)
                piece = ""
                units = 0
            }
            piece.append(ch)
            units += n
        }
        pieces.append(piece)
        return "=" + pieces.map { "\"" + $0.replacing("\"", with: "\"\"") + "\"" }.joined(separator: "&")
    }
}
