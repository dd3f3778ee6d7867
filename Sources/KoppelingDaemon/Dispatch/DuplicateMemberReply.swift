import KoppelingCore
import KoppelingProtocol

extension Dispatcher {
    /// A line whose JSON names a member twice in one object (`JSONSyntax`):
    /// -32600, reason `duplicate_member`, and nothing runs. The id is
    /// always null: the line says two things, and `id` may be one of them.
    static func duplicateMemberReply(_ name: String) -> Parsed {
        .reply(
            ReplyEncoding.failure(
                id: .null,
                error: RPCError(
                    code: RPCErrorCode.invalidRequest,
                    reason: .duplicateMember,
                    message: "De naam '\(shownName(name))' staat twee keer in hetzelfde JSON-object: "
                        + "het verzoek is niet eenduidig."
                )
            )
        )
    }

    /// A member name as a message may repeat it: every character that is
    /// not printable (controls, bidirectional and other format characters,
    /// line separators) as `?`, and a name over 40 characters only masked
    /// (its first characters and its length).
    static func shownName(_ name: String) -> String {
        var shown = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                shown.append("?")
            default:
                shown.append(scalar)
            }
        }
        return shown.count <= 40 ? String(shown) : String(shown).masked
    }
}
