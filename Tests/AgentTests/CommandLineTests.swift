import Foundation
import Testing

/// One command line (and config file) run through `-D` by our agent and the oracles.
struct CommandLineCase: Sendable, CustomTestStringConvertible {
    /// Which oracles the case runs against: all three, the 10.x and 11.x ones (options 7.2
    /// lacks), or 7.2 alone (its `--blacklist`).
    enum Oracles: Sendable { case all, since10, v7Only }

    let argv: [String]
    /// The config file's text (QGA_CONF, or `$CONF` in argv); nil: no config file.
    let config: String?
    let oracles: Oracles
    /// Set for the run besides QGA_CONF (POSIXLY_CORRECT).
    let environment: [String: String]

    init(_ argv: [String], config: String? = nil, oracles: Oracles = .all, environment: [String: String] = [:]) {
        self.argv = argv
        self.config = config
        self.oracles = oracles
        self.environment = environment
    }

    var testDescription: String {
        environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) " }.joined() + argv.joined(separator: " ")
            + (config.map { " with " + $0.debugDescription } ?? "")
    }
}

/// What a run shows, normalised so two agents can be compared: the exit status, the dump
/// key by key (lists as sorted items: qemu-ga reverses each list it splits), other stdout,
/// and the distinct error messages without program name, GLib's log prefix or our own.
struct CommandLineOutcome: Equatable, CustomStringConvertible {
    var status: Int32
    var dump: [String: String]?
    var stdout: String?
    var messages: Set<String>

    init(status: Int32, stdout rawOut: String, stderr: String, program: String, configPath: String? = nil) {
        self.status = status
        if status == 0 && rawOut.hasPrefix("[general]\n") {
            var keys: [String: String] = [:]
            for line in rawOut.split(separator: "\n").dropFirst() {
                guard let equals = line.firstIndex(of: "=") else {
                    keys["<bad line>"] = String(line)
                    continue
                }
                let key = String(line[..<equals])
                var value = String(line[line.index(after: equals)...])
                if key == "block-rpcs" || key == "allow-rpcs" {
                    value = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init).sorted()
                        .joined(separator: ",")
                }
                keys[key] = value
            }
            dump = keys
        } else if status == 0 && rawOut.hasPrefix("guest-sync") {
            // The command list: the same names (registration order differs). The Windows-only
            // guest-get-devices is not built on Linux upstream (issue 11; its own branch).
            stdout = rawOut.split(separator: "\n").map(String.init).filter { $0 != "guest-get-devices" }.sorted()
                .joined(separator: "\n")
        } else {
            stdout = rawOut.replacingOccurrences(of: program, with: "PROG")
        }
        // GLib's complaint about its own misuse when two config values are bad (qemu-ga passes
        // a set GError on): not ours to copy; the message that follows it is compared.
        let glibMisuse = ["GError set over the top", "The overwriting error message was", "This indicates a bug in someone"]
        messages = Set(
            stderr.split(separator: "\n").filter { line in !glibMisuse.contains { line.contains($0) } }.map { line -> String in
                var text = String(line).replacingOccurrences(of: program, with: "PROG")
                if let configPath { text = text.replacingOccurrences(of: configPath, with: "CONF") }
                if let range = text.range(of: "CRITICAL **: ") {
                    text = String(text[range.upperBound...])
                    // HH:MM:SS.mmm:
                    if let colon = text.range(of: ": ") { text = String(text[colon.upperBound...]) }
                }
                if text.hasPrefix("qemu-ga-swift: ") { text = String(text.dropFirst("qemu-ga-swift: ".count)) }
                // GLib writes its curly quotes as '?' in the C locale.
                return text.replacingOccurrences(of: "“", with: "?").replacingOccurrences(of: "”", with: "?")
            })
    }

    var description: String {
        "status \(status), dump \(dump.map { $0.sorted { $0.key < $1.key }.description } ?? "-"), stdout \(stdout.map { $0.debugDescription } ?? "-"), messages \(messages.sorted())"
    }
}

/// Runs `binary` with the case's argv and config file.
func runCommandLine(_ binary: String, _ testCase: CommandLineCase, extraArguments: [String] = []) throws -> CommandLineOutcome {
    let dir = TempDir()
    let confPath = dir.file("qemu-ga.conf")
    if let config = testCase.config { try config.write(toFile: confPath, atomically: true, encoding: .utf8) }
    let argv = testCase.argv.map { $0.replacingOccurrences(of: "$CONF", with: confPath) } + extraArguments
    let result = try runProcess(
        binary, argv,
        environment: testCase.environment.merging(
            ["QGA_CONF": testCase.config == nil ? dir.file("missing.conf") : confPath], uniquingKeysWith: { $1 }))
    return CommandLineOutcome(
        status: result.status, stdout: result.stdout, stderr: result.stderr, program: binary, configPath: dir.path)
}

@Suite("Command line: getopt_long and qemu-ga's option table, against the three oracles")
struct CommandLineDifferentialTests {
    static let cases: [CommandLineCase] = [
        // Options, as distro units and admins spell them.
        .init(["-D"]),
        .init(["-D", "-bguest-exec,guest-ping", "-b", "guest-info", "-vd", "-misa-serial"]),
        .init(["-Dvdr"]),
        .init(["-D", "--daemon", "--verb", "--retry"]),
        .init(["-D", "--method=unix-listen", "--path=/run/q.sock"]),
        .init(["-D", "--method", "vsock-listen", "--path", "3:1234"]),
        .init(["-D", "-munix-listen", "-p/tmp/qga.sock", "-l/var/log/qga.log", "-f/run/qga.pid", "-t/var/lib/qga"]),
        .init(["-D", "--statedir", "/s", "--pidfile=/p", "--logfile", "/l", "--stat=/t2"]),
        .init(["-D", "-F"]),
        .init(["-D", "-F/x/y", "--fsfreeze-hook"]),
        .init(["-D", "--fsfreeze-hook=/z"]),
        .init(["-D", "-F", "/z"]),  // a detached value is an operand: the default hook
        .init(["-D", "-m", "bogus", "-p", "x"]),  // checked when the agent starts, not before -D
        .init(["-D", "-p", ""]),
        .init(["-D", "-b", ""]),
        .init(["-D", "-b", "guest-ping,guest-ping", "-b", "guest-exec"]),
        .init(["-D", "operand", "another"]),
        .init(["-D", "--", "-v"]),
        .init(["-D", "-l", " lead", "-f", "\ttab", "-p", "\n x\\y\t z\r"]),  // GLib's escaping
        // Errors: getopt's message, qemu-ga's line, status 1.
        .init(["-D", "-x"]),
        .init(["-D", "--bogus"]),
        .init(["-D", "-m"]),
        .init(["-D", "--method"]),
        .init(["-D", "--d"]),
        .init(["-D", "--v"]),
        .init(["-D", "--help=3"]),
        .init(["-D", "--verbose=1"]),
        // getopt's finer points, as glibc has them whatever libc the agent is linked with.
        .init(["-D", "-vxd"]),
        .init(["-D", "-:"]),
        .init(["-D", "--bogus=1"]),
        .init(["-D", "--meth"]),
        .init(["-D", "--method="]),
        .init(["-D", "-m", "--"]),  // a detached value may be `--`
        .init(["-D", "--path", "-v"]),  // ... or look like an option
        .init(["-D", "--d=1"]),
        .init(["-D", "--dump", "--daem", "--met=isa-serial", "--pa", "/p"]),
        .init(["-D", "--b", "guest-ping"]),  // --block-rpcs (and 7.2's --blacklist, which agrees)
        .init(["-D", "operand", "-v", "another", "-m", "isa-serial", "--", "-d"]),  // permuted
        .init(["-D", "operand", "-v"], environment: ["POSIXLY_CORRECT": "1"]),  // POSIX order
        .init(["-v", "-D", "--", "-d"], environment: ["POSIXLY_CORRECT": "1"]),
        .init(["-x", "-V"]),
        .init(["-D", "-m", "unix-listen"]),
        .init(["-D", "-m", "vsock-listen"]),
        .init(["-D", "-m", "bogus"]),
        // The command list.
        .init(["-b", "help"]),
        .init(["-b", "?"]),
        // 10.x reads the options twice (for -c first): -x is reported though help ends the run.
        .init(["--block-rpcs=help", "-x"], oracles: .since10),
        .init(["-D", "-b", "guest-ping", "-bhelp"]),
        // The config file (GLib key-file rules), alone and under the command line.
        .init(["-D"], config: "[general]\ndaemon=1\nverbose=0\nretry-path=true  \n"),
        .init(["-D"], config: "[general]\ndaemon=false\nverbose=true\nretry-path=0\n"),
        .init(["-D"], config: "[general]\npath=\\sa\\sb\\tc\\nd\\re\\\\f  \nlogfile=  x y  \n"),
        .init(["-D"], config: "  # comment\n\n[general]  \n  path = /q \npidfile=/1\npidfile=/2\n[other]\npath=/nope\n[general]\nstatedir=/s\n"),
        .init(["-D"], config: "[general]\r\nmethod=isa-serial\r\nfsfreeze-hook=/h\r\n"),
        .init(["-D"], config: "[general]\nblock-rpcs=guest-ping,guest-info\n"),
        // A list from the file dumps as written (`;` kept), one from the command line joined with `,`.
        .init(["-D"], config: "[general]\nblock-rpcs=guest-ping;guest-get-time\n"),
        .init(["-D", "-b", "guest-exec,guest-info"], config: "[general]\nblock-rpcs=guest-ping;guest-get-time\n"),
        .init(["-D", "-a", "guest-exec"], config: "[general]\nallow-rpcs=guest-ping;guest-sync,guest-info\n", oracles: .since10),
        .init(["-D", "-b", "guest-exec", "-t", "/from/cli", "-F"], config: "[general]\nmethod=isa-serial\nstatedir=/from/file\nblock-rpcs=guest-ping\n"),
        .init(["-D"], config: "[general]\nunknown-key=1\nother=\\q\n[x]\ndaemon=maybe\n"),
        .init(["-D"], config: ""),
        .init(["-D"], config: "path=/x\n[general]\n"),
        .init(["-D"], config: "[general]\ndaemon=yes\n"),
        .init(["-D"], config: "[general]\ndaemon=True\n"),
        .init(["-D"], config: "[general]\nverbose=maybe\ndaemon=maybe\n"),
        .init(["-D"], config: "[general]\npath=a\\qb\n"),
        .init(["-D"], config: "[general]\npath=ab\\\n"),
        .init(["-D"], config: "[general]\n; x\n"),
        .init(["-D"], config: "[general]\n=value\n"),
        .init(["-D"], config: "[general\n"),
        .init(["-D"], config: "[gen[eral]\n"),
        .init(["-D"], config: "[]\n"),
        .init(["-D"], config: "[general]\na]b=c\n"),
        .init(["-D"], config: "[general]\npath[de]=/lokal\nkey[]=x\npath=/p\n"),
        .init(["-D"], config: "[general]\nlogfile=caf\u{E9}\n"),
        .init(["-V"], config: "[general]\ndaemon=yes\n"),  // the file is read before any option acts
        // 10.x only: -a, -c, both lists together.
        .init(["-D", "-a", "guest-ping", "-b", "guest-info"], oracles: .since10),
        .init(["-a", "help"], oracles: .since10),
        .init(["-D", "--allow-rpcs=guest-ping,guest-sync", "-aguest-info"], oracles: .since10),
        .init(["-D", "-c", "$CONF"], config: "[general]\nallow-rpcs=guest-ping\nstatedir=/c\n", oracles: .since10),
        .init(["-D", "-c", "/nonexistent/qemu-ga.conf"], oracles: .since10),
        .init(["-D", "-c", "/"], oracles: .since10),
        .init(["-D", "-c", "/dev/null"], oracles: .since10),
        // 7.2's --blacklist: 10.x dropped it; we keep it (older units pass it), as 7.2.
        .init(["-D", "--blacklist=guest-exec,guest-file-open"], oracles: .v7Only),
        .init(["-D", "--bl", "guest-exec"], oracles: .v7Only),
    ]

    @Test(arguments: cases)
    func matchesTheOracles(_ testCase: CommandLineCase) throws {
        let ours = try runCommandLine(agentBinary, testCase)
        if testCase.oracles != .v7Only {
            for binary in [Oracle.v10, Oracle.v11] {
                try Oracle.require(binary)
                let oracle = try runCommandLine(binary, testCase)
                #expect(ours == oracle, "ours: \(ours)\nqemu-ga \(Oracle.version(binary)): \(oracle)")
            }
        }
        if testCase.oracles != .since10 {
            try #require(FileManager.default.isExecutableFile(atPath: Oracle.v7), "install qemu-guest-agent")
            let oracle = try runCommandLine(Oracle.v7, testCase)
            // 7.2 has no -a, so no allow-rpcs key.
            var ours7 = ours
            if ours7.dump?["allow-rpcs"] == "" { ours7.dump?["allow-rpcs"] = nil }
            // Commands added upstream after 7.2 (guest-get-load in 10.0, guest-network-get-route in 9.1).
            if let list = ours7.stdout, list.hasPrefix("guest-") {
                ours7.stdout = list.split(separator: "\n").filter { $0 != "guest-get-load" && $0 != "guest-network-get-route" }
                    .joined(separator: "\n")
            }
            #expect(ours7 == oracle, "ours: \(ours7)\nqemu-ga 7.2: \(oracle)")
        }
    }

    /// `\;` in a string value is an error for GLib's `g_key_file_get_string`: 7.2, 10.0.2 and
    /// we report it and exit 1; 11.1.3 goes on to split the NULL it got and crashes (SIGSEGV
    /// after GLib's `g_strsplit: assertion 'string != NULL' failed`). Deliberately not 11.1's.
    @Test func anEscapedSemicolonIsReportedWhere11Crashes() throws {
        let testCase = CommandLineCase(["-D"], config: "[general]\nblock-rpcs=a\\;b\n")
        let ours = try runCommandLine(agentBinary, testCase)
        #expect(ours.status == 1)
        #expect(ours.messages.contains { $0.contains("block-rpcs") && $0.contains("cannot be interpreted") }, "\(ours)")
        for binary in [Oracle.v7, Oracle.v10] {
            try Oracle.require(binary)
            #expect(try runCommandLine(binary, testCase) == ours, "qemu-ga \(Oracle.version(binary))")
        }
        try Oracle.require(Oracle.v11)
        let crashed = try runCommandLine(Oracle.v11, testCase)
        #expect(crashed.status == SIGSEGV, "\(crashed)")
        #expect(crashed.messages.contains { $0.contains("g_strsplit: assertion 'string != NULL' failed") }, "\(crashed)")
    }

    @Test func theTableIsLargeAndItsDumpsAreReal() throws {
        #expect(Self.cases.count >= 25)
        // A default -D is byte for byte qemu-ga 10.0.2's and 11.1.3's.
        let ours = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": "/nonexistent/qemu-ga.conf"])
        #expect(ours.status == 0)
        for binary in [Oracle.v10, Oracle.v11] {
            let oracle = try runProcess(binary, ["-D"], environment: ["QGA_CONF": "/nonexistent/qemu-ga.conf"])
            #expect(ours.stdout == oracle.stdout, "qemu-ga \(Oracle.version(binary))")
        }
    }
}

@Suite("Command line and config file")
struct CommandLineTests {
    let noConfig = ["QGA_CONF": "/nonexistent/qemu-ga.conf"]

    @Test func dumpReadsBackAsTheSameConfiguration() throws {
        let dir = TempDir()
        let first = try runProcess(
            agentBinary,
            [
                "-D", "-d", "-v", "-r", "-m", "unix-listen", "-p", " /odd\\path\twith\nnewline", "-l", "/l",
                "-f", "/p", "-F/hook", "-t", "/s", "-b", "guest-exec,guest-file-open", "-b", "guest-ping",
                "-a", "guest-info,guest-sync", "--fsfreeze-timeout", "30", "--fsfreeze-hook-timeout=2.5",
                "--allow-vsock-cids=1,3", "--allow-vsock-cids", "4294967295",
            ], environment: noConfig)
        #expect(first.status == 0)
        #expect(first.stdout.contains("block-rpcs=guest-exec,guest-file-open,guest-ping\n"))
        #expect(first.stdout.contains("fsfreeze-timeout=30\n") && first.stdout.contains("fsfreeze-hook-timeout=2.5\n"))
        #expect(first.stdout.contains("allow-vsock-cids=1,3,4294967295\n"))
        try first.stdout.write(toFile: dir.file("dumped.conf"), atomically: true, encoding: .utf8)
        let second = try runProcess(agentBinary, ["-c", dir.file("dumped.conf"), "-D"], environment: noConfig)
        #expect(second.status == 0)
        #expect(second.stdout == first.stdout)
        // qemu-ga 10.0.2 and 11.1.3 read our dump (without our own keys) as the same settings.
        let theirs = first.stdout.split(separator: "\n")
            .filter { (!$0.hasPrefix("fsfreeze-") || $0.hasPrefix("fsfreeze-hook=")) && !$0.hasPrefix("allow-vsock-cids=") }
            .joined(separator: "\n") + "\n"
        try theirs.write(toFile: dir.file("theirs.conf"), atomically: true, encoding: .utf8)
        let ours = try runProcess(agentBinary, ["-c", dir.file("theirs.conf"), "-D"], environment: noConfig)
        for binary in [Oracle.v10, Oracle.v11] {
            let oracle = try runProcess(binary, ["-c", dir.file("theirs.conf"), "-D"], environment: noConfig)
            #expect(
                CommandLineOutcome(status: oracle.status, stdout: oracle.stdout, stderr: oracle.stderr, program: binary)
                    == CommandLineOutcome(status: ours.status, stdout: ours.stdout, stderr: ours.stderr, program: agentBinary),
                "qemu-ga \(Oracle.version(binary))")
        }
    }

    @Test func semicolonListsInTheConfigFileBlockEachCommand() throws {
        // Deliberate: qemu-ga takes "guest-ping;guest-info" as one unknown name (its own
        // sample config's form) and blocks nothing.
        let dir = TempDir()
        try "[general]\nblock-rpcs=guest-ping;guest-info\n".write(toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let ours = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        // The dump keeps the value as written, as qemu-ga 10.x and 11.x dump it.
        #expect(ours.stdout.contains("block-rpcs=guest-ping;guest-info\n"))
        for binary in [Oracle.v10, Oracle.v11] {
            let oracle = try runProcess(binary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
            #expect(oracle.stdout == ours.stdout, "qemu-ga \(Oracle.version(binary))")
        }
        let agent = try AgentProcess(environment: ["QGA_CONF": dir.file("conf")])
        let client = try agent.connect()
        #expect(try client.call(#"{"execute":"guest-ping"}"#).errorClass == "CommandNotFound")
        #expect(try client.call(#"{"execute":"guest-get-time"}"#)["return"] != nil)
    }

    @Test func blacklistConfigKeyIsReadAs72ReadsIt() throws {
        // 7.2's key (10.x ignores it): kept, like --blacklist, for older installations.
        let dir = TempDir()
        try "[general]\nblacklist=guest-ping,guest-exec\n".write(toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let ours = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        let oracle = try runProcess(Oracle.v7, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        let blockLine = { (text: String) in
            text.split(separator: "\n").first { $0.hasPrefix("block-rpcs=") }.map {
                $0.dropFirst("block-rpcs=".count).split(separator: ",").sorted()
            }
        }
        #expect(ours.status == 0 && oracle.status == 0)
        #expect(blockLine(ours.stdout) == ["guest-exec", "guest-ping"])
        #expect(blockLine(ours.stdout) == blockLine(oracle.stdout))
    }

    @Test(arguments: [(["-D", "--fsfreeze-hook="], nil), (["-D"], "[general]\nfsfreeze-hook=\n")] as [([String], String?)])
    func anEmptyHookPathMeansTheDefaultHook(_ arguments: [String], config: String?) throws {
        // Deliberate: qemu-ga takes "" as the hook's path, and every freeze then fails.
        let testCase = CommandLineCase(arguments, config: config)
        let ours = try runCommandLine(agentBinary, testCase)
        #expect(ours.dump?["fsfreeze-hook"] == "/etc/qemu/fsfreeze-hook")
        for binary in [Oracle.v10, Oracle.v11] {
            let oracle = try runCommandLine(binary, testCase)
            #expect(oracle.dump?["fsfreeze-hook"] == "", "qemu-ga \(Oracle.version(binary))")
        }
    }

    @Test func allowAndBlockTogetherBlockListWins() throws {
        let agent = try AgentProcess(extra: ["-a", "guest-ping,guest-info,guest-sync", "-b", "guest-info"])
        let client = try agent.connect()
        #expect(try client.call(#"{"execute":"guest-ping"}"#)["return"] != nil)
        let blocked = try client.call(#"{"execute":"guest-info"}"#)
        #expect(blocked.errorClass == "CommandNotFound")
        #expect(blocked.errorDesc?.hasPrefix("Command guest-info has been disabled") == true)
        let notAllowed = try client.call(#"{"execute":"guest-get-time"}"#)
        #expect(notAllowed.errorDesc?.hasPrefix("Command guest-get-time has been disabled") == true)
    }

    @Test(arguments: [["-a", "help"], ["-a", "?"], ["--allow-rpcs=help"], ["-b", "help"], ["--blacklist", "?"]])
    func helpListsTheCommands(_ arguments: [String]) throws {
        let result = try runProcess(agentBinary, arguments, environment: noConfig)
        #expect(result.status == 0)
        let names = result.stdout.split(separator: "\n")
        #expect(names.contains("guest-sync-delimited") && names.contains("guest-info") && names.contains("guest-exec"))
    }

    @Test func helpNamesEveryOption() throws {
        let short = try runProcess(agentBinary, ["-h"], environment: noConfig)
        let long = try runProcess(agentBinary, ["--he"], environment: noConfig)
        #expect(short.status == 0 && long.status == 0)
        #expect(short.stdout == long.stdout)
        #expect(short.stdout.hasPrefix("Usage: \(agentBinary) [-m <method> -p <path>] [<options>]\n"))
        for option in [
            "-c, --config", "-m, --method", "-p, --path", "-l, --logfile", "-f, --pidfile", "-F, --fsfreeze-hook",
            "--fsfreeze-hook-timeout", "--fsfreeze-timeout", "-t, --statedir", "-v, --verbose", "-V, --version",
            "-d, --daemonize", "-b, --block-rpcs", "-a, --allow-rpcs", "--allow-vsock-cids", "-D, --dump-conf",
            "-r, --retry-path", "-h, --help",
        ] {
            #expect(short.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test func versionNamesUpstreamAndOurRelease() throws {
        let result = try runProcess(agentBinary, ["--vers"], environment: noConfig)
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .newlines)
        #expect(line.range(of: #"^QEMU Guest Agent \d+\.\d+\.\d+ \(qemu-ga-swift \d+\.\d+\.\d+.*\)$"#, options: .regularExpression) != nil, "\(line)")
    }

    @Test func ourOptionsTakeSeconds() throws {
        let good = try runProcess(agentBinary, ["-D", "--fsfreeze-timeout=0", "--fsfreeze-hook-timeout", "7"], environment: noConfig)
        #expect(good.stdout.contains("fsfreeze-timeout=0\n") && good.stdout.contains("fsfreeze-hook-timeout=7\n"))
        let bad = try runProcess(agentBinary, ["-D", "--fsfreeze-timeout=soon"], environment: noConfig)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--fsfreeze-timeout") && bad.stderr.contains("soon"))
        let dir = TempDir()
        try "[general]\nfsfreeze-timeout=-1\n".write(toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let badFile = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        #expect(badFile.status == 1)
        #expect(badFile.stderr.contains("Key file contains key “fsfreeze-timeout” which has a value that cannot be interpreted."))
    }

    /// Our `--allow-vsock-cids` (config `allow-vsock-cids`): decimal CIDs, `,`-separated (`;`
    /// too in the file), accumulated over the file and every option like `-b`; dumped only
    /// when set, so a default `-D` stays qemu-ga's.
    static let vsockCIDCases: [(arguments: [String], config: String?, dumped: String?)] = [
        (["-D"], nil, nil),
        (["-D", "--allow-vsock-cids="], nil, nil),
        (["-D", "--allow-vsock-cids", "1"], nil, "1"),
        (["-D", "--allow-vsock-cids=1,3", "--allow-vsock-c=7"], nil, "1,3,7"),
        (["-D"], "[general]\nallow-vsock-cids=5;6\n", "5,6"),
        (["-D", "--allow-vsock-cids=1"], "[general]\nallow-vsock-cids=5,6\n", "5,6,1"),
        (["-D"], "[general]\nallow-vsock-cids=\n", nil),
    ]

    @Test(arguments: vsockCIDCases)
    func allowVsockCIDsAreReadAccumulatedAndDumped(arguments: [String], config: String?, dumped: String?) throws {
        let outcome = try runCommandLine(agentBinary, CommandLineCase(arguments, config: config))
        #expect(outcome.status == 0)
        #expect(outcome.dump?["allow-vsock-cids"] == dumped, "\(outcome)")
        #expect(outcome.dump?["method"] == "virtio-serial")
    }

    @Test(arguments: ["x", "1,,2", "-1", "4294967296", "0x3", "1 "])
    func aBadCIDIsAnError(_ value: String) throws {
        let option = try runProcess(agentBinary, ["-D", "--allow-vsock-cids", value], environment: noConfig)
        #expect(option.status == 1 && option.stdout.isEmpty)
        #expect(option.stderr.contains("invalid value for --allow-vsock-cids: '\(value)' (expected CIDs separated by commas)"), "\(option.stderr)")
        let dir = TempDir()
        try "[general]\nallow-vsock-cids=\(value)x\n".write(toFile: dir.file("conf"), atomically: true, encoding: .utf8)
        let file = try runProcess(agentBinary, ["-D"], environment: ["QGA_CONF": dir.file("conf")])
        #expect(file.status == 1)
        #expect(file.stderr.contains("Key file contains key “allow-vsock-cids” which has a value that cannot be interpreted."), "\(file.stderr)")
    }

    /// Deliberate: `--allow` (and shorter) was `--allow-rpcs` in qemu-ga; with our option it is
    /// ambiguous, as getopt says. `--allow-r` still reaches `--allow-rpcs`.
    @Test func allowPrefixesAreAmbiguous() throws {
        let ambiguous = try runProcess(agentBinary, ["-D", "--allow=guest-ping"], environment: noConfig)
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("ambiguous"), "\(ambiguous.stderr)")
        let unique = try runProcess(agentBinary, ["-D", "--allow-r=guest-ping"], environment: noConfig)
        #expect(unique.status == 0 && unique.stdout.contains("allow-rpcs=guest-ping\n"))
    }

    @Test func unknownMethodFailsAtStart() throws {
        let dir = TempDir()
        let ours = try runProcess(agentBinary, ["-m", "bogus", "-p", "x", "-t", dir.path], environment: noConfig)
        #expect(ours.status == 1)
        #expect(ours.stderr.contains("unsupported channel method/type: bogus"))
        for binary in [Oracle.v10, Oracle.v11] {
            let oracle = try runProcess(binary, ["-m", "bogus", "-p", "x", "-t", dir.path], environment: noConfig)
            #expect(oracle.status == 1, "qemu-ga \(Oracle.version(binary))")
            #expect(oracle.stderr.contains("unsupported channel method/type: bogus"), "qemu-ga \(Oracle.version(binary))")
        }
    }

    @Test func missingStateDirectoryFailsClearly() throws {
        let dir = TempDir()
        let result = try runProcess(
            agentBinary, ["-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.file("missing")], environment: noConfig)
        #expect(result.status != 0)
        #expect(result.stderr.contains("state directory"))
    }

    @Test func missingVirtioPortIsFatalWithoutRetry() throws {
        let dir = TempDir()
        let result = try runProcess(agentBinary, ["-p", dir.file("no-such-port"), "-t", dir.path], environment: noConfig)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error opening channel"))
    }
}

@Suite("Daemon, pidfile and the channel at start", .serialized)
struct DaemonTests {
    let noConfig = ["QGA_CONF": "/nonexistent/qemu-ga.conf"]

    /// Waits up to 10 s for a non-empty file; its trimmed text.
    func waitForText(_ path: String) -> String {
        for _ in 0..<1000 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(10_000)
        }
        return ""
    }

    /// Waits up to 10 s for process `pid` to be gone.
    func waitForExit(_ pid: Int32) -> Bool {
        for _ in 0..<1000 {
            if kill(pid, 0) != 0 { return true }
            usleep(10_000)
        }
        return false
    }

    @Test func daemonizeWritesLocksAndRemovesThePidfile() throws {
        let dir = TempDir()
        let args = ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path]
        let first = try runProcess(agentBinary, args, environment: noConfig)
        #expect(first.status == 0)
        let pid = Int32(waitForText(dir.file("pid"))) ?? 0
        try #require(pid > 0)
        defer { kill(pid, SIGKILL) }
        let client = try AgentClient(path: dir.file("sock"))
        #expect(try client.call(#"{"execute":"guest-ping"}"#)["return"] != nil)
        // A second daemon with the same pidfile must not start.
        let second = try runProcess(
            agentBinary,
            ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock2"), "-t", dir.path, "-l", dir.file("log2")],
            environment: noConfig)
        #expect(second.status == 0)  // the parent exits 0 as qemu-ga's does; the child fails:
        #expect(waitForText(dir.file("log2")).contains("cannot lock pid file"))
        #expect(waitForText(dir.file("pid")) == String(pid))
        // SIGTERM: the pidfile goes with the agent.
        kill(pid, SIGTERM)
        #expect(waitForExit(pid))
        #expect(!FileManager.default.fileExists(atPath: dir.file("pid")))
    }

    @Test func neverWritesThePidThroughAPlantedSymlink() throws {
        let dir = TempDir()
        try "precious\n".write(toFile: dir.file("target"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("pid"), withDestinationPath: dir.file("target"))
        let result = try runProcess(
            agentBinary, ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path, "-l", dir.file("log")],
            environment: noConfig)
        #expect(result.status == 0)
        // The detached child refuses the pidfile and exits; it says why in its log.
        var log = ""
        for _ in 0..<1000 where !log.contains("pid file") {
            log = (try? String(contentsOfFile: dir.file("log"), encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        #expect(log.contains("cannot create pid file") && log.contains("symbolic link"), "\(log)")
        #expect(try String(contentsOfFile: dir.file("target"), encoding: .utf8) == "precious\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("pid"))) == dir.file("target"))
    }

    @Test func neverWritesThePidThroughAPlantedHardLink() throws {
        let dir = TempDir()
        try "precious\n".write(toFile: dir.file("target"), atomically: true, encoding: .utf8)
        try FileManager.default.linkItem(atPath: dir.file("target"), toPath: dir.file("pid"))
        let result = try runProcess(
            agentBinary, ["-d", "-f", dir.file("pid"), "-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path, "-l", dir.file("log")],
            environment: noConfig)
        #expect(result.status == 0)
        var log = ""
        for _ in 0..<1000 where !log.contains("pid file") {
            log = (try? String(contentsOfFile: dir.file("log"), encoding: .utf8)) ?? ""
            usleep(10_000)
        }
        #expect(log.contains("cannot create pid file"), "\(log)")
        #expect(try String(contentsOfFile: dir.file("target"), encoding: .utf8) == "precious\n")
    }

    @Test func daemonizeWithABadChannelFailsInTheForeground() throws {
        // qemu-ga 10.x opens the channel before it forks; 7.2's parent exits 0 regardless.
        let dir = TempDir()
        let args = ["-d", "-f", dir.file("pid"), "-p", dir.file("no-such-port"), "-t", dir.path]
        let ours = try runProcess(agentBinary, args, environment: noConfig)
        for binary in [Oracle.v10, Oracle.v11] {
            #expect(try runProcess(binary, args, environment: noConfig).status == 1, "qemu-ga \(Oracle.version(binary))")
        }
        #expect(ours.status == 1)
        #expect(ours.stderr.contains("no-such-port"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("pid")))
    }

    @Test func retryPathWaitsForAChannelMissingAtStart() throws {
        // Upstream 10.1 (after 10.0.2, which exits): -r starts without its channel and tries
        // again every 5 s, asleep in between.
        let dir = TempDir()
        let socket = dir.file("later/sock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: agentBinary)
        process.arguments = ["-r", "-m", "unix-listen", "-p", socket, "-t", dir.path]
        process.environment = ProcessInfo.processInfo.environment.merging(noConfig) { $1 }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        usleep(500_000)
        #expect(process.isRunning)
        try FileManager.default.createDirectory(atPath: dir.file("later"), withIntermediateDirectories: true)
        var client: AgentClient?
        for _ in 0..<1500 where client == nil {
            client = try? AgentClient(path: socket)
            if client == nil { usleep(10_000) }
        }
        #expect(try #require(client).call(#"{"execute":"guest-ping"}"#)["return"] != nil)
        // Asleep while waiting: a busy loop would have burnt seconds of CPU by now.
        #expect((cpuTicks(process.processIdentifier) ?? 1000) < 50)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // 10.0.2 gives up at once (the retry at start came in 10.1).
        let oracle = try runProcess(
            Oracle.v10, ["-r", "-m", "unix-listen", "-p", dir.file("never/sock"), "-t", dir.path], environment: noConfig)
        #expect(oracle.status == 1)
    }

    @Test func sigtermWhileWaitingForTheChannelExitsCleanly() throws {
        let dir = TempDir()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: agentBinary)
        process.arguments = ["-r", "-p", dir.file("no-such-port"), "-t", dir.path]
        process.environment = ProcessInfo.processInfo.environment.merging(noConfig) { $1 }
        try process.run()
        usleep(300_000)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

@Suite("systemd socket activation")
struct SocketActivationTests {
    /// A tiny systemd: bind and listen `count` sockets on fds 3..., set LISTEN_* and exec.
    static let launcher = """
        import os, socket, sys
        count = int(sys.argv[1])
        sockets = [socket.socket(socket.AF_UNIX) for i in range(count)]
        for i, s in enumerate(sockets):
            s.bind(sys.argv[2] + str(i)); s.listen(4)
        # Move them above the range first: a socket may already sit on fd 3 or 4.
        for i, s in enumerate(sockets):
            os.dup2(s.fileno(), 100 + i)
        for i in range(count):
            os.dup2(100 + i, 3 + i); os.set_inheritable(3 + i, True)
        os.environ["LISTEN_FDS"] = str(count); os.environ["LISTEN_PID"] = str(os.getpid())
        os.execv(sys.argv[3], [sys.argv[3]] + sys.argv[4:])
        """

    func launch(count: Int, socketBase: String, binary: String, arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.launcher, String(count), socketBase, binary] + arguments
        var env = ProcessInfo.processInfo.environment
        env["QGA_CONF"] = "/nonexistent/qemu-ga.conf"
        process.environment = env
        return process
    }

    @Test func servesTheInheritedListeningSocket() throws {
        let dir = TempDir()
        let process = try launch(count: 1, socketBase: dir.file("activated.sock"), binary: agentBinary, arguments: ["-t", dir.path])
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        var client: AgentClient?
        for _ in 0..<200 where client == nil {
            client = try? AgentClient(path: dir.file("activated.sock0"))
            if client == nil { usleep(20_000) }
        }
        let reply = try #require(client).call(#"{"execute":"guest-ping","id":"activated"}"#)
        #expect(reply["id"] as? String == "activated")
        // The activation variables do not reach guest-exec children.
        let exec = try #require(client).call(
            #"{"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c","echo ${LISTEN_FDS-unset}"],"capture-output":true}}"#)
        let pid = try #require((exec["return"] as? [String: Any])?["pid"] as? Int)
        var status: [String: Any] = [:]
        for _ in 0..<500 where status["exited"] as? Bool != true {
            status = try #require(client).call(#"{"execute":"guest-exec-status","arguments":{"pid":\#(pid)}}"#)["return"] as? [String: Any] ?? [:]
            usleep(10_000)
        }
        let output = (status["out-data"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        #expect(output == "unset\n")
    }

    @Test func dumpShowsTheActivatedTransport() throws {
        let dir = TempDir()
        for binary in [agentBinary, Oracle.v10, Oracle.v11] {
            let process = try launch(count: 1, socketBase: dir.file(UUID().uuidString), binary: binary, arguments: ["-D", "-p", "/ignored"])
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(text.contains("method=unix-listen\npidfile="), "\(binary): \(text)")
        }
    }

    @Test func aSocketOfAnotherFamilyIsAnError() throws {
        for binary in [agentBinary, Oracle.v10, Oracle.v11] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [
                "-c",
                """
                import os, socket, sys
                s = socket.socket(socket.AF_INET); s.bind(("127.0.0.1", 0)); s.listen(1)
                os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
                os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
                os.execv(sys.argv[1], [sys.argv[1], "-D"])
                """,
                binary,
            ]
            process.environment = ProcessInfo.processInfo.environment.merging(["QGA_CONF": "/nonexistent/qemu-ga.conf"]) { $1 }
            let err = Pipe()
            process.standardError = err
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(binary)")
            #expect(text.contains("unsupported listen fd type"), "\(binary): \(text)")
        }
    }

    @Test func moreThanOneSocketIsAnError() throws {
        let dir = TempDir()
        for binary in [agentBinary, Oracle.v10, Oracle.v11] {
            let process = try launch(count: 2, socketBase: dir.file(UUID().uuidString), binary: binary, arguments: ["-t", dir.path])
            let err = Pipe()
            process.standardError = err
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(binary)")
            #expect(text.contains("qemu-ga only supports listening on one socket"), "\(binary): \(text)")
        }
    }
}
