import Foundation
import Testing

/// `qga cat`, `ifconfig` (qemu-ga-client's) and `osinfo`, `fsinfo`, `users`, `timezone`,
/// `hostname` (`virsh guestinfo`'s), each in text and with `--json`, against the agent binary
/// under test over unix-listen, and against a scripted agent where the guest cannot be set up.
@Suite("qga guest-information commands", .serialized)
struct ClientGuestInfoTests {
    @Test func catPrintsTheFileAcrossSeveralReads() throws {
        let dir = TempDir()
        // 200,000 bytes: four guest-file-read calls of 64 KiB.
        let content = (0..<5000).map { "line \($0) of a guest file, 0123456789\n" }.joined()
        let path = dir.file("guest.txt")
        try content.write(toFile: path, atomically: false, encoding: .utf8)
        let agent = try AgentProcess()

        let text = try runClient(["--socket", agent.socketPath, "cat", path])
        #expect(text.status == 0)
        #expect(text.stderr.isEmpty)
        #expect(text.stdout == content)

        let json = try runClient(["--socket", agent.socketPath, "--json", "cat", path])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["path"] as? String == path)
        #expect(object?["count"] as? Int == content.utf8.count)
        let decoded = (object?["buf-b64"] as? String).flatMap { Data(base64Encoded: $0) }
        #expect(decoded == Data(content.utf8))

        let empty = dir.file("empty")
        FileManager.default.createFile(atPath: empty, contents: Data())
        let nothing = try runClient(["--socket", agent.socketPath, "cat", empty])
        #expect(nothing.status == 0)
        #expect(nothing.stdout.isEmpty)

        // The agent's own error, status 1.
        let missing = try runClient(["--socket", agent.socketPath, "cat", dir.file("no-such-file")])
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.hasPrefix("qga: "))
        #expect(missing.stderr.contains("No such file or directory"))
        #expect(agent.terminate() == 0)
    }

    @Test func catClosesTheHandleItOpened() throws {
        let box = RequestsBox()
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": 1000}"# + "\n")
            box.append(try connection.nextRequestObject())
            // "hello\n", not yet at the end.
            connection.send(#"{"return": {"count": 6, "buf-b64": "aGVsbG8K", "eof": false}}"# + "\n")
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": {"count": 0, "buf-b64": "", "eof": true}}"# + "\n")
            box.append(try connection.nextRequestObject())
            connection.send(#"{"return": {}}"# + "\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "cat", "/etc/hostname"])
        #expect(fake.finish())
        #expect(fake.failure == nil)
        #expect(result.status == 0)
        #expect(result.stdout == "hello\n")
        let requests = box.all
        #expect(requests.map { $0["execute"] as? String } == ["guest-file-open", "guest-file-read", "guest-file-read", "guest-file-close"])
        let open = requests.first?["arguments"] as? [String: Any]
        #expect(open?["path"] as? String == "/etc/hostname")
        #expect(open?["mode"] as? String == "r")
        #expect((requests.last?["arguments"] as? [String: Any])?["handle"] as? Int == 1000)
    }

    @Test func ifconfigPrintsAsQemuGaClient() throws {
        let reply = #"""
            [{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}, {"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128}]}, {"name": "eth0", "hardware-address": "52:54:00:12:34:56", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "192.0.2.10", "prefix": 20}, {"ip-address-type": "ipv6", "ip-address": "2001:db8::10", "prefix": 64}]}, {"name": "tun0"}]
            """#
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequestObject()
            connection.send("{\"return\": \(reply)}\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "ifconfig"])
        #expect(fake.finish())
        #expect(result.status == 0)
        #expect(result.stdout == """
            lo:
            \tinet 127.0.0.1  netmask 255.0.0.0
            \tinet6 ::1  prefixlen 128
            eth0:
            \tinet 192.0.2.10  netmask 255.255.240.0
            \tinet6 2001:db8::10  prefixlen 64
            \tether 52:54:00:12:34:56
            tun0:

            """)
    }

    @Test func ifconfigAgainstTheAgent() throws {
        let agent = try AgentProcess()
        let json = try runClient(["--socket", agent.socketPath, "--json", "ifconfig"])
        #expect(json.status == 0)
        let interfaces = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        let text = try runClient(["--socket", agent.socketPath, "ifconfig"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        // One NAME: line per interface, in the agent's order.
        #expect(lines.filter { !$0.hasPrefix("\t") } == interfaces.compactMap { ($0["name"] as? String).map { $0 + ":" } })
        // Loopback's address, with its netmask spelled out, and no all-zero ether line.
        if let lo = interfaces.first(where: { $0["name"] as? String == "lo" }),
            (lo["ip-addresses"] as? [[String: Any]])?.contains(where: { $0["ip-address"] as? String == "127.0.0.1" }) == true
        {
            #expect(lines.contains("\tinet 127.0.0.1  netmask 255.0.0.0"))
        }
        #expect(!lines.contains("\tether 00:00:00:00:00:00"))
        #expect(agent.terminate() == 0)
    }

    @Test func osinfoFromAnOSReleaseFile() throws {
        let dir = TempDir()
        let release = dir.file("os-release")
        try """
            ID=testos
            NAME="Test OS"
            PRETTY_NAME="Test OS 4.2 (Quokka)"
            VERSION="4.2 (Quokka)"
            VERSION_ID=4.2
            VARIANT_ID=server

            """.write(toFile: release, atomically: false, encoding: .utf8)
        let agent = try AgentProcess(environment: ["QGA_OS_RELEASE": release])
        let text = try runClient(["--socket", agent.socketPath, "osinfo"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("os.id               : testos"))
        #expect(lines.contains("os.name             : Test OS"))
        #expect(lines.contains("os.pretty-name      : Test OS 4.2 (Quokka)"))
        #expect(lines.contains("os.version-id       : 4.2"))
        #expect(lines.contains("os.variant-id       : server"))
        #expect(lines.contains("os.kernel-release   : " + runOutput("/bin/uname", ["-r"])))
        #expect(lines.contains("os.machine          : " + runOutput("/bin/uname", ["-m"])))
        // No VARIANT in the file: no line for it.
        #expect(!lines.contains { $0.hasPrefix("os.variant ") })

        let json = try runClient(["--socket", agent.socketPath, "--json", "osinfo"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["id"] as? String == "testos")
        #expect(object?["kernel-release"] as? String == runOutput("/bin/uname", ["-r"]))
        #expect(agent.terminate() == 0)
    }

    @Test func fsinfoOfTheRootFilesystem() throws {
        // A mount table with only /, on the device / really is on, so the agent finds its disk.
        var info = stat()
        #expect(stat("/", &info) == 0)
        let major = (info.st_dev >> 8) & 0xFFF, minor = (info.st_dev & 0xFF) | ((info.st_dev >> 12) & 0xFFF00)
        let procfs = TempDir()
        try FileManager.default.createDirectory(atPath: procfs.file("self"), withIntermediateDirectories: true)
        try "27 1 \(major):\(minor) / / rw,relatime - ext4 /dev/root rw\n".write(
            toFile: procfs.file("self/mountinfo"), atomically: false, encoding: .utf8)
        let agent = try AgentProcess(environment: ["QGA_PROCFS_ROOT": procfs.path])

        let json = try runClient(["--socket", agent.socketPath, "--json", "fsinfo"])
        #expect(json.status == 0)
        let filesystems = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(filesystems.count == 1)
        let root = filesystems.first ?? [:]
        #expect(root["mountpoint"] as? String == "/")

        let text = try runClient(["--socket", agent.socketPath, "fsinfo"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "fs.count            : 1")
        #expect(lines.contains("fs.0.name           : \(root["name"] as? String ?? "?")"))
        #expect(lines.contains("fs.0.mountpoint     : /"))
        #expect(lines.contains("fs.0.fstype         : ext4"))
        let disks = root["disk"] as? [[String: Any]] ?? []
        #expect(lines.contains("fs.0.disk.count     : \(disks.count)"))
        for (index, disk) in disks.enumerated() {
            if let dev = disk["dev"] as? String {
                let key = "fs.0.disk.\(index).device"
                #expect(lines.contains(key + String(repeating: " ", count: max(0, 20 - key.count)) + ": " + dev))
            }
        }
        // Usage moves while the machine works: the line is there, with a number.
        #expect(lines.contains { $0.hasPrefix("fs.0.total-bytes    : ") && Int($0.dropFirst(22)) != nil })
        #expect(agent.terminate() == 0)
    }

    @Test func usersAsVirshShowsThem() throws {
        let reply = #"[{"user": "alice", "login-time": 1700000000.5}, {"user": "bob", "domain": "CORP", "login-time": 1700000100.25}]"#
        let fake = try FakeAgent { connection in
            try connection.answerSync()
            _ = try connection.nextRequestObject()
            connection.send("{\"return\": \(reply)}\n")
        }
        let result = try runClient(["--socket", fake.socketPath, "users"])
        #expect(fake.finish())
        #expect(result.stdout == """
            user.count          : 2
            user.0.name         : alice
            user.0.login-time   : 1700000000500
            user.1.name         : bob
            user.1.domain       : CORP
            user.1.login-time   : 1700000100250

            """)
    }

    @Test func usersTimezoneAndHostnameAgainstTheAgent() throws {
        let agent = try AgentProcess()
        let usersJSON = try runClient(["--socket", agent.socketPath, "--json", "users"])
        #expect(usersJSON.status == 0)
        let users = try JSONSerialization.jsonObject(with: Data(usersJSON.stdout.utf8)) as? [[String: Any]]
        #expect(users != nil)
        let usersText = try runClient(["--socket", agent.socketPath, "users"])
        #expect(usersText.stdout.split(separator: "\n").first.map(String.init) == "user.count          : \(users?.count ?? -1)")

        let zoneJSON = try runClient(["--socket", agent.socketPath, "--json", "timezone"])
        let zone = try JSONSerialization.jsonObject(with: Data(zoneJSON.stdout.utf8)) as? [String: Any]
        let offset = zone?["offset"] as? Int
        #expect(offset == TimeZone.current.secondsFromGMT())
        let zoneText = try runClient(["--socket", agent.socketPath, "timezone"])
        #expect(zoneText.status == 0)
        var expected = ""
        if let name = zone?["zone"] as? String { expected += "timezone.name       : \(name)\n" }
        expected += "timezone.offset     : \(offset ?? 0)\n"
        #expect(zoneText.stdout == expected)

        let host = try runClient(["--socket", agent.socketPath, "hostname"])
        #expect(host.status == 0)
        #expect(host.stdout == "hostname            : \(runOutput("/bin/uname", ["-n"]))\n")
        let hostJSON = try runClient(["--socket", agent.socketPath, "--json", "hostname"])
        #expect(hostJSON.stdout == "{\"host-name\": \"\(runOutput("/bin/uname", ["-n"]))\"}\n")
        #expect(agent.terminate() == 0)
    }

    /// A program's stdout without the trailing newline.
    private func runOutput(_ executable: String, _ arguments: [String]) -> String {
        let result = try? runProcess(executable, arguments)
        var text = result?.stdout ?? ""
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
