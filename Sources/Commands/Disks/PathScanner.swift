/// A cursor over a path for the small `sscanf` patterns qemu-ga matches sysfs paths with.
struct PathScanner {
    private let utf8: [UInt8]
    private(set) var offset: Int

    init(_ text: String, from index: String.Index) {
        utf8 = Array(text.utf8)
        offset = text.utf8.distance(from: text.startIndex, to: index)
    }

    mutating func literal(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard offset + bytes.count <= utf8.count, Array(utf8[offset..<offset + bytes.count]) == bytes else {
            return false
        }
        offset += bytes.count
        return true
    }

    mutating func hex() -> Int? { number(radix: 16) }
    mutating func decimal() -> Int? { number(radix: 10) }

    /// `dddd:bb:ss.f`: a PCI function.
    mutating func pciFunction() -> (Int, Int, Int, Int)? {
        var copy = self
        guard let domain = copy.hex(), copy.literal(":"), let bus = copy.hex(), copy.literal(":"),
            let slot = copy.hex(), copy.literal("."), let function = copy.hex()
        else { return nil }
        self = copy
        return (domain, bus, slot, function)
    }

    private mutating func number(radix: Int) -> Int? {
        var value = 0
        var digits = 0
        while offset < utf8.count, let digit = utf8[offset].hexDigitValue, digit < radix, digits < 16 {
            value = value * radix + digit
            digits += 1
            offset += 1
        }
        return digits > 0 ? value : nil
    }
}
