import Foundation

/// One request line and what the reply is matched against.
struct Request {
    let method: BenchMethod
    let id: Int64
    let line: Data

    /// `params` is a JSON object written by the caller, or `nil` for none.
    init(method: BenchMethod, id: Int64, params: String?) {
        self.method = method
        self.id = id
        var text = #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method.wireName)""#
        if let params { text += #","params":"# + params }
        text += "}"
        line = Data(text.utf8)
    }
}

/// The requests one connection sends, in order; `nil` when it has
/// nothing more to ask.
protocol RequestSource {
    mutating func next() -> Request?
}
