/// Path arithmetic on strings, the two operations the daemon needs, as
/// `NSString` does them (which is not in FoundationEssentials; the tests
/// check these against it).
public enum PathText {
    /// The path without its last component: `/a/b/c` → `/a/b`, `/a/b/` →
    /// `/a`, `/c` → `/`, `c` → the empty string, `/` → `/`.
    public static func directory(of path: String) -> String {
        var u = Array(path.utf8)
        while u.count > 1, u.last == slash { u.removeLast() }
        guard let i = u.lastIndex(of: slash) else { return "" }
        var head = Array(u[..<i])
        while head.count > 1, head.last == slash { head.removeLast() }
        if head.isEmpty { return "/" }
        return String(decoding: head, as: UTF8.self)
    }

    /// `name` inside `directory`, with one `/` between them.
    public static func join(_ directory: String, _ name: String) -> String {
        var u = Array(directory.utf8)
        while u.count > 1, u.last == slash { u.removeLast() }
        if u.isEmpty { return name }
        if u == [slash] { return "/" + name }
        return String(decoding: u, as: UTF8.self) + "/" + name
    }

    /// The last component: `/a/b/c` → `c`, `/a/b/` → `b`, `c` → `c`.
    public static func lastComponent(of path: String) -> String {
        var u = Array(path.utf8)
        while u.count > 1, u.last == slash { u.removeLast() }
        guard let i = u.lastIndex(of: slash), u.count > 1 else { return String(decoding: u, as: UTF8.self) }
        return String(decoding: u[(i + 1)...], as: UTF8.self)
    }

    private static let slash = UInt8(ascii: "/")
}
