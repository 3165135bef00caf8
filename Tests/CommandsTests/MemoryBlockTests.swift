import Commands
import Foundation
import Testing

/// guest-get-memory-blocks / guest-set-memory-blocks / guest-get-memory-block-info against a
/// fake `sys/devices/system/memory` tree.
@Suite struct MemoryBlockTests {
    let harness: SysfsHarness
    let memory = "devices/system/memory/"

    /// memory0 online and not removable, memory1 online and removable, memory2 offline,
    /// memory7 without `state` (an old kernel), memory32 without `removable`; memory32 lists
    /// before memory7 by name.
    init() throws {
        harness = try SysfsHarness()
        try harness.file(memory + "block_size_bytes", "8000000\n")
        try harness.file(memory + "auto_online_blocks", "online\n")
        try harness.file(memory + "soft_offline_page", "")
        try harness.directory(memory + "power")
        try harness.file(memory + "memory0/state", "online\n")
        try harness.file(memory + "memory0/removable", "0\n")
        try harness.file(memory + "memory1/state", "online\n")
        try harness.file(memory + "memory1/removable", "1\n")
        try harness.file(memory + "memory2/state", "offline\n")
        try harness.file(memory + "memory2/removable", "1\n")
        try harness.directory(memory + "memory7")
        try harness.file(memory + "memory32/state", "online\n")
    }

    @Test func getListsBlocksSortedWithOnlineAndCanOffline() {
        #expect(
            harness.send(#"{"execute":"guest-get-memory-blocks"}"#)
                == #"{"return": [{"phys-index": 0, "online": true, "can-offline": false}, "#
                + #"{"phys-index": 1, "online": true, "can-offline": true}, "#
                + #"{"phys-index": 2, "online": false, "can-offline": true}, "#
                + #"{"phys-index": 7, "online": true, "can-offline": false}, "#
                + #"{"phys-index": 32, "online": true, "can-offline": false}]}"# + "\n")
    }

    @Test func getWithoutMemoryDirectoryIsEmpty() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/devices/system/memory")
        #expect(harness.send(#"{"execute":"guest-get-memory-blocks"}"#) == "{\"return\": []}\n")
    }

    @Test func getWithNoBlocksIsAnError() throws {
        for name in ["memory0", "memory1", "memory2", "memory7", "memory32"] {
            try FileManager.default.removeItem(atPath: harness.sysfs + "/" + memory + name)
        }
        #expect(harness.errorDesc(#"{"execute":"guest-get-memory-blocks"}"#) == "guest reported zero memory blocks!")
    }

    @Test func getReportsAnUnreadableState() throws {
        try harness.file(memory + "memory3/state", "")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-memory-blocks"}"#)
                == #"pread sysfs file "state": unexpected EOF"#)
    }

    @Test(arguments: [("8000000\n", 134_217_728), ("0x10000000", 268_435_456), ("80000000", 2_147_483_648)])
    func blockInfoParsesHex(text: String, size: Int) throws {
        try harness.file(memory + "block_size_bytes", text)
        #expect(harness.send(#"{"execute":"guest-get-memory-block-info"}"#) == "{\"return\": {\"size\": \(size)}}\n")
    }

    @Test func blockInfoRejectsGarbage() throws {
        try harness.file(memory + "block_size_bytes", "zz\n")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-memory-block-info"}"#)
                == "invalid block size in \"\(harness.sysfs)/\(memory)block_size_bytes\": 'zz'")
    }

    @Test func blockInfoWithoutBlockSizeFile() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/" + memory + "block_size_bytes")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-memory-block-info"}"#)
                == #"open sysfs file "block_size_bytes": No such file or directory"#)
    }

    @Test func blockInfoWithoutMemoryDirectory() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/devices/system/memory")
        #expect(
            harness.errorDesc(#"{"execute":"guest-get-memory-block-info"}"#)
                == "open(\"\(harness.sysfs)/devices/system/memory/\"): No such file or directory")
    }

    @Test func setAnswersOneResponsePerBlockInOrder() {
        let reply = harness.send(
            #"{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":["#
                + #"{"phys-index":1,"online":false},{"phys-index":2,"online":true},"#
                + #"{"phys-index":0,"online":true,"can-offline":false},{"phys-index":99,"online":false},"#
                + #"{"phys-index":7,"online":false},{"phys-index":7,"online":true}]}}"#)
        #expect(
            reply
                == #"{"return": [{"phys-index": 1, "response": "success"}, "#
                + #"{"phys-index": 2, "response": "success"}, "#
                + #"{"phys-index": 0, "response": "success"}, "#
                + #"{"phys-index": 99, "response": "not-found", "error-code": 2}, "#
                + #"{"phys-index": 7, "response": "operation-not-supported", "error-code": 2}, "#
                + #"{"phys-index": 7, "response": "success"}]}"# + "\n")
        #expect(harness.read(memory + "memory1/state") == "offline")
        #expect(harness.read(memory + "memory2/state") == "online")
        // Unchanged block 0 was not written; only the two changes were.
        #expect(
            harness.system.writtenPaths == [
                harness.sysfs + "/" + memory + "memory1/state", harness.sysfs + "/" + memory + "memory2/state",
            ])
        #expect(harness.read(memory + "memory0/state") == "online\n")
    }

    @Test func aRefusedWriteIsOperationFailedWithErrno() {
        harness.system.writeErrors[harness.sysfs + "/" + memory + "memory1/state"] = EBUSY
        #expect(
            harness.send(#"{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":1,"online":false}]}}"#)
                == #"{"return": [{"phys-index": 1, "response": "operation-failed", "error-code": 16}]}"# + "\n")
        #expect(harness.read(memory + "memory1/state") == "online\n")
    }

    @Test func setWithoutMemoryDirectoryIsNotSupported() throws {
        try FileManager.default.removeItem(atPath: harness.sysfs + "/devices/system/memory")
        #expect(
            harness.send(#"{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":0,"online":false}]}}"#)
                == #"{"return": [{"phys-index": 0, "response": "operation-not-supported", "error-code": 2}]}"# + "\n")
    }

    @Test(arguments: [
        (#"{"mem-blks":[{"phys-index":"1","online":true}]}"#, "Invalid parameter type for 'mem-blks[0].phys-index', expected: integer"),
        (#"{"mem-blks":[{"phys-index":1}]}"#, "Parameter 'mem-blks[0].online' is missing"),
        (#"{}"#, "Parameter 'mem-blks' is missing"),
    ])
    func argumentErrors(arguments: String, desc: String) {
        #expect(harness.errorDesc(#"{"execute":"guest-set-memory-blocks","arguments":\#(arguments)}"#) == desc)
        #expect(harness.system.writtenPaths.isEmpty)
    }
}
