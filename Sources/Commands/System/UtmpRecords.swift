/// The utmp file (`/var/run/utmp`) read as glibc writes it: the records `guest-get-users` lists.
///
/// qemu-ga reads it with glibc's `getutxent(3)`. The static agent is linked against musl, whose
/// `getutxent` is a stub that finds nothing, so the records are read from the file here, in
/// glibc's layout, which logind, login and sshd write on every glibc system. The layout is the
/// same on x86_64 and aarch64: 384-byte records with 32-bit times (glibc keeps them 32-bit on
/// 64-bit targets so that 32-bit programs share the file).
enum UtmpRecords {
    /// Where glibc keeps the records of who is logged in now (`_PATH_UTMP`).
    static let path = "/var/run/utmp"
    static let recordSize = 384
    private static let typeOffset = 0
    private static let userOffset = 44
    private static let userLength = 32
    private static let secondsOffset = 340
    private static let microsecondsOffset = 344

    /// Every whole record in `bytes`; a torn record at the end (the file being rewritten) is left
    /// out.
    static func parse(_ bytes: [UInt8]) -> [UserAccountingRecord] {
        var records: [UserAccountingRecord] = []
        records.reserveCapacity(bytes.count / recordSize)
        var start = 0
        while start + recordSize <= bytes.count {
            let user = bytes[(start + userOffset)..<(start + userOffset + userLength)].prefix { $0 != 0 }
            records.append(
                UserAccountingRecord(
                    type: Int32(Int16(truncatingIfNeeded: littleEndian(bytes, start + typeOffset, 2))),
                    user: String(decoding: user, as: UTF8.self),
                    seconds: Int64(Int32(truncatingIfNeeded: littleEndian(bytes, start + secondsOffset, 4))),
                    microseconds: Int64(Int32(truncatingIfNeeded: littleEndian(bytes, start + microsecondsOffset, 4)))))
            start += recordSize
        }
        return records
    }

    /// `count` bytes at `offset` as a little-endian number (both architectures are little-endian).
    private static func littleEndian(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<count).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }
}
