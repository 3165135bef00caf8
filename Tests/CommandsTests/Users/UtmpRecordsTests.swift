import Foundation
import Glibc
import Testing

@testable import Commands

/// The agent reads utmp itself (musl's getutxent finds nothing); the file is glibc's. Records are
/// made here with glibc's own `struct utmpx` (the test build is linked against glibc) and their
/// raw bytes handed to the reader, so a wrong offset, width or record size fails.
@Suite("utmp in glibc's layout, as the static agent reads it")
struct UtmpRecordsTests {
    private func record(type: Int32, user: String, seconds: Int32, microseconds: Int32) -> [UInt8] {
        var entry = utmpx()
        entry.ut_type = Int16(type)
        entry.ut_pid = 4242
        withUnsafeMutableBytes(of: &entry.ut_user) { raw in
            for (index, byte) in user.utf8.prefix(raw.count).enumerated() { raw[index] = byte }
        }
        withUnsafeMutableBytes(of: &entry.ut_line) { raw in
            for (index, byte) in "pts/0".utf8.enumerated() { raw[index] = byte }
        }
        entry.ut_tv.tv_sec = seconds
        entry.ut_tv.tv_usec = microseconds
        return withUnsafeBytes(of: &entry) { Array($0) }
    }

    @Test func glibcsRecordSizeIsTheReadersOwn() {
        #expect(MemoryLayout<utmpx>.size == UtmpRecords.recordSize)
    }

    @Test func recordsReadAsGlibcWroteThem() {
        let bytes = record(type: Int32(BOOT_TIME), user: "reboot", seconds: 1_700_000_000, microseconds: 0)
            + record(type: Int32(USER_PROCESS), user: "alice", seconds: 1_765_000_123, microseconds: 456_789)
            + record(type: Int32(USER_PROCESS), user: String(repeating: "b", count: 32), seconds: -5, microseconds: 1)
        #expect(
            UtmpRecords.parse(bytes) == [
                UserAccountingRecord(type: Int32(BOOT_TIME), user: "reboot", seconds: 1_700_000_000, microseconds: 0),
                UserAccountingRecord(type: Int32(USER_PROCESS), user: "alice", seconds: 1_765_000_123, microseconds: 456_789),
                UserAccountingRecord(
                    type: Int32(USER_PROCESS), user: String(repeating: "b", count: 32), seconds: -5, microseconds: 1),
            ])
    }

    @Test func aTornRecordAtTheEndIsLeftOut() {
        let whole = record(type: Int32(USER_PROCESS), user: "alice", seconds: 10, microseconds: 0)
        let torn = Array(record(type: Int32(USER_PROCESS), user: "bob", seconds: 20, microseconds: 0).prefix(200))
        #expect(UtmpRecords.parse(whole + torn).map(\.user) == ["alice"])
        #expect(UtmpRecords.parse([]).isEmpty)
    }
}
