/// Numbers every possible BRIN6 (2 digits, 2 upper-case letters, 2 digits:
/// 100 × 676 × 100 = 6,760,000), so runs can take distinct ranges of
/// schools without asking the daemon which ones exist.
///
/// The leading two digits come first in the numbering: one "block" of
/// 67,600 schools shares them, which keeps the ranges readable in the
/// daemon's listings (block 10 is 10AA00…10ZZ99).
enum Brin6Space {
    static let perBlock = 676 * 100
    static let count = 100 * perBlock

    static func brin6(_ index: Int) -> String {
        precondition(index >= 0 && index < count, "BRIN6 index \(index) out of range")
        let block = index / perBlock
        let rest = index % perBlock
        let letters = rest / 100
        let vestiging = rest % 100
        let first = UInt8(ascii: "A") + UInt8(letters / 26)
        let second = UInt8(ascii: "A") + UInt8(letters % 26)
        let digits: [UInt8] = [
            UInt8(ascii: "0") + UInt8(block / 10), UInt8(ascii: "0") + UInt8(block % 10),
            first, second,
            UInt8(ascii: "0") + UInt8(vestiging / 10), UInt8(ascii: "0") + UInt8(vestiging % 10),
        ]
        return String(decoding: digits, as: UTF8.self)
    }

    static func firstIndex(ofBlock block: Int) -> Int { block * perBlock }
}
