import Glibc

/// Text forms of addresses, as `inet_ntop(3)` writes them (a pure function, not a syscall).
enum IPAddressText {
    /// `192.0.2.1` for 4 bytes, `fe80::1` for 16; nil for any other length.
    static func format(_ bytes: [UInt8]) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The number of one bits in a netmask (qemu-ga's prefix length).
    static func prefixLength(_ netmask: [UInt8]) -> Int {
        netmask.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    /// `aa:bb:cc:dd:ee:ff`.
    static func hardware(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xF)]]) }.joined(separator: ":")
    }
}
