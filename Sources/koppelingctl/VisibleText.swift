#if canImport(Glibc)
import Glibc
#endif

/// Text from the daemon reaches the terminal only as text: a control
/// character (ESC among them: `\e[2J` clears the screen), a bidirectional
/// control or a line separator in a catalogue text or a name is shown as
/// `<U+001B>` instead of acting on the terminal. Line feeds and tabs keep
/// the layout. The daemon refuses such text already (`control_character`);
/// this holds for a register written before that rule, or by another
/// program.
enum VisibleText {
    static func escape(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        // A carriage return right before a line feed is a Windows line end
        // (an exported CSV): it moves to a new line and overwrites nothing.
        func escaped(_ i: Int) -> Bool {
            needsEscape(scalars[i]) && !(scalars[i] == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n")
        }
        guard scalars.indices.contains(where: escaped) else { return text }
        var out = String.UnicodeScalarView()
        for (i, s) in scalars.enumerated() {
            if escaped(i) {
                let hex = String(s.value, radix: 16, uppercase: true)
                out.append(
                    contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)>".unicodeScalars
                )
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        if s == "\n" || s == "\t" { return false }
        return s.properties.generalCategory == .control || (0x202A...0x202E).contains(s.value)
            || (0x2066...0x2069).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }
}

/// Every line koppelingctl prints goes through `VisibleText`: this shadows
/// the standard library's `print` in this module (only a declaration with
/// the same signature does; an overload taking a `String` would lose to it).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    let bytes = Array((VisibleText.escape(text) + terminator).utf8)
    var rest = bytes[...]
    while !rest.isEmpty {
        let n = rest.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue } else { return } }
        rest = rest.dropFirst(n)
    }
}
