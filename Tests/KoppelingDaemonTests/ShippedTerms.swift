/// The terms version of the shipped catalogue entries, for requests that
/// accept them: `topdossier-eckid` is at 2024.2 since its purpose and terms
/// were corrected (0010_eckid_purpose.sql), `topdossier` at 2024.1.
enum ShippedTerms {
    static func version(_ koppeling: String) -> String {
        koppeling.lowercased().contains("eckid") ? "2024.2" : "2024.1"
    }
}
