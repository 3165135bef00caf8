import Foundation
import Testing

@Suite("Command line and config file")
struct CommandLineTests {
    @Test func dumpConfFromQGAConf() throws {
        // tests/data/test-qga-config, as test-qga.c's /qga/config uses it.
        let dir = TempDir()
        let config = """
            [general]
            daemon=false
            method=virtio-serial
            path=/path/to/org.qemu.guest_agent.0
            pidfile=/var/foo/qemu-ga.pid
            statedir=/var/state
            verbose=true
            retry-path=false
            block-rpcs=guest-ping;guest-get-time
            """
        try config.write(toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let result = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        for expected in [
            "[general]", "daemon=false", "method=virtio-serial", "path=/path/to/org.qemu.guest_agent.0",
            "pidfile=/var/foo/qemu-ga.pid", "statedir=/var/state", "verbose=true",
            "block-rpcs=guest-get-time;guest-ping;",
        ] {
            #expect(lines.contains(expected), "missing \(expected) in \(result.stdout)")
        }
    }

    @Test func commandLineOverridesConfigFile() throws {
        let dir = TempDir()
        try "[general]\nmethod=isa-serial\nstatedir=/from/file\n".write(
            toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let result = try runProcess(agentBinary, ["-c", dir.file("conf"), "-t", "/from/cli", "-D", "-F"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("method=isa-serial\npath=/dev/ttyS0"))
        #expect(result.stdout.contains("statedir=/from/cli"))
        #expect(result.stdout.contains("fsfreeze-hook=/etc/qemu/fsfreeze-hook"))
        let attached = try runProcess(agentBinary, ["-c", dir.file("conf"), "-F/opt/hook", "-D"])
        #expect(attached.stdout.contains("fsfreeze-hook=/opt/hook"))
    }

    @Test func missingExplicitConfigIsFatal() throws {
        let result = try runProcess(agentBinary, ["-c", "/nonexistent/qga.conf", "-D"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/qga.conf"))
    }

    @Test func blockAndAllowTogetherIsAnError() throws {
        let result = try runProcess(agentBinary, ["-b", "guest-ping", "-a", "guest-info", "-m", "unix-listen", "-p", "/tmp/x"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("using --block-rpcs and --allow-rpcs at the same time is not allowed"))
    }

    @Test func blockHelpListsCommands() throws {
        let result = try runProcess(agentBinary, ["-b", "help"])
        #expect(result.status == 0)
        let names = result.stdout.split(separator: "\n")
        #expect(names.contains("guest-sync-delimited") && names.contains("guest-info"))
    }

    @Test func unixListenNeedsAPath() throws {
        let result = try runProcess(agentBinary, ["-m", "unix-listen"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("must specify a path for this channel"))
    }

    @Test func missingStateDirectoryFailsClearly() throws {
        let dir = TempDir()
        let result = try runProcess(
            agentBinary, ["-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.file("missing")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("state directory"))
    }

    @Test func missingVirtioPortIsFatalWithoutRetry() throws {
        let dir = TempDir()
        let result = try runProcess(agentBinary, ["-p", dir.file("no-such-port"), "-t", dir.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error opening channel"))
    }

    @Test func versionFlag() throws {
        let result = try runProcess(agentBinary, ["-V"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("qemu-ga-swift"))
    }

    @Test func daemonizeWritesAndLocksThePidfile() throws {
        let dir = TempDir()
        let args = ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path]
        let first = try runProcess(agentBinary, args)
        #expect(first.status == 0)
        var pidText = ""
        for _ in 0..<200 where pidText.isEmpty {
            pidText = ((try? String(contentsOfFile: dir.file("pid"), encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            usleep(10_000)
        }
        let pid = Int32(pidText) ?? 0
        #expect(pid > 0)
        defer { if pid > 0 { kill(pid, SIGTERM) } }
        let client = try AgentClient(path: dir.file("sock"))
        #expect(try client.call(#"{"execute":"guest-ping"}"#)["return"] != nil)
        // A second daemon with the same pidfile must not start.
        let second = try runProcess(agentBinary, ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock2"), "-t", dir.path])
        #expect(second.status == 0)  // the parent exits 0 as qemu-ga's does; the child fails:
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: dir.file("sock2")))
    }
}

@Suite("systemd socket activation")
struct SocketActivationTests {
    @Test func servesTheInheritedListeningSocket() throws {
        let dir = TempDir()
        let socketPath = dir.file("activated.sock")
        // A tiny systemd: bind and listen, put the socket on fd 3, set LISTEN_* and exec the agent.
        let launcher = """
            import os, socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.bind(sys.argv[1]); s.listen(4)
            os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
            os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
            os.execv(sys.argv[2], [sys.argv[2], "-t", sys.argv[3]])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", launcher, socketPath, agentBinary, dir.path]
        var env = ProcessInfo.processInfo.environment
        env["QGA_CONF"] = "/dev/null"
        process.environment = env
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        var client: AgentClient?
        for _ in 0..<200 where client == nil {
            client = try? AgentClient(path: socketPath)
            if client == nil { usleep(20_000) }
        }
        let reply = try #require(client).call(#"{"execute":"guest-ping","id":"activated"}"#)
        #expect(reply["id"] as? String == "activated")
    }
}
