import Foundation
import FreezeHooks
import ProcessRunner
import Testing

/// The repository's `hooks/` directory.
let hooksDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("hooks").path

/// The shipped `hooks/fsfreeze-hook` against a `.d` directory of recording scripts.
final class HookScene {
    let dir = HookDirectory()
    var hookD: String { dir.path + "/fsfreeze-hook.d" }
    var logFile: String { dir.path + "/log/fsfreeze-hook.log" }
    var orderFile: String { dir.path + "/order" }
    var extraEnvironment: [String: String] = [:]

    /// A script that records "<name> <action>" and fails the freeze when `<name>.fail` exists.
    func recorder(_ name: String, mode: Int = 0o755) {
        dir.script(
            "fsfreeze-hook.d/" + name,
            """
            #!/bin/sh
            echo "$(basename "$0") $1" >> \(orderFile)
            echo "output of $(basename "$0") $1"
            if [ "$1" = freeze ] && [ -e "\(dir.path)/$(basename "$0").fail" ]; then exit 3; fi
            exit 0

            """, mode: mode)
    }

    func failFreeze(_ name: String) { dir.script(name + ".fail", "") }

    var environment: [String] {
        var environment = ProcessInfo.processInfo.environment
        environment["FSFREEZE_HOOK_D"] = hookD
        environment["FSFREEZE_HOOK_LOG"] = logFile
        environment.merge(extraEnvironment) { $1 }
        return environment.map { "\($0.key)=\($0.value)" }
    }

    func run(_ action: FreezeHookAction, hook: String = hooksDirectory + "/fsfreeze-hook") throws(FreezeHookError) -> FreezeHookReport {
        try FreezeHookRunner.run(FreezeHook(path: hook, timeout: 60, environment: environment).invocation(action))
    }

    var order: [String] { dir.read("order").split(separator: "\n").map(String.init) }
    var log: [String] { dir.read("log/fsfreeze-hook.log").split(separator: "\n").map(String.init) }
}

@Suite("the shipped hooks/fsfreeze-hook")
struct ShippedHookTests {
    @Test("freeze runs the scripts ascending, thaw descending; leftovers and non-executables are skipped")
    func order() throws {
        let scene = HookScene()
        for name in ["20-second", "10-first", "30-third"] { scene.recorder(name) }
        for name in ["05-a.sample", "15-b~", "16-c.bak", "17-d.orig", "18-e.rpmnew", "19-f.rpmsave", "21-g.dpkg-old", "22-h.dpkg-dist"] {
            scene.recorder(name)
        }
        scene.recorder("25-not-executable", mode: 0o644)
        _ = try scene.run(.freeze)
        #expect(scene.order == ["10-first freeze", "20-second freeze", "30-third freeze"])
        _ = try scene.run(.thaw)
        #expect(
            scene.order == [
                "10-first freeze", "20-second freeze", "30-third freeze", "30-third thaw", "20-second thaw", "10-first thaw",
            ])
    }

    @Test("a failing freeze script: those already frozen are thawed (descending), the hook fails")
    func failingScript() {
        let scene = HookScene()
        for name in ["10-a", "20-b", "30-c", "40-d"] { scene.recorder(name) }
        scene.failFreeze("30-c")
        #expect(throws: FreezeHookError.self) { try scene.run(.freeze) }
        do {
            _ = try scene.run(.freeze)
        } catch {
            #expect(error.message == "child process has failed to execute fsfreeze hook: exit status 3")
        }
        let firstRun = Array(scene.order.prefix(5))
        #expect(firstRun == ["10-a freeze", "20-b freeze", "30-c freeze", "20-b thaw", "10-a thaw"])
    }

    @Test("each script's output and status are logged with timestamps")
    func logFile() throws {
        let scene = HookScene()
        scene.recorder("10-a")
        scene.recorder("20-b")
        scene.failFreeze("20-b")
        _ = try? scene.run(.freeze)
        let stamp = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} fsfreeze-hook\[\d+\]: "#
        let log = scene.log
        #expect(log.contains { $0.range(of: stamp + "10-a freeze: output of 10-a freeze$", options: .regularExpression) != nil })
        #expect(log.contains { $0.range(of: stamp + "10-a freeze: finished with status=0$", options: .regularExpression) != nil })
        #expect(log.contains { $0.range(of: stamp + "Error: 20-b freeze: finished with status=3$", options: .regularExpression) != nil })
        #expect(log.contains { $0.range(of: stamp + "10-a thaw: finished with status=0$", options: .regularExpression) != nil })
    }

    @Test("when the log file is not writable, lines go to syslog through logger")
    func loggerFallback() throws {
        let scene = HookScene()
        scene.recorder("10-a")
        scene.dir.script("not-a-dir", "")
        let fakeBin = scene.dir.path + "/bin"
        scene.dir.script("bin/logger", "#!/bin/sh\necho \"$*\" >> \(scene.dir.path)/syslog\n")
        scene.extraEnvironment = [
            "FSFREEZE_HOOK_LOG": scene.dir.path + "/not-a-dir/fsfreeze-hook.log",
            "PATH": fakeBin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]
        _ = try scene.run(.freeze)
        let syslog = scene.dir.read("syslog")
        #expect(syslog.contains("-t qemu-ga-fsfreeze-hook -- 10-a freeze: output of 10-a freeze"))
        #expect(syslog.contains("-t qemu-ga-fsfreeze-hook -- 10-a freeze: finished with status=0"))
    }

    @Test("no fsfreeze-hook.d: nothing to do, success")
    func missingDirectory() throws {
        let scene = HookScene()
        let report = try scene.run(.freeze)
        #expect(report.output.isEmpty)
    }

    @Test("by default the scripts directory is fsfreeze-hook.d beside the hook")
    func besideTheHook() throws {
        let scene = HookScene()
        scene.recorder("10-a")
        let copy = scene.dir.path + "/fsfreeze-hook"
        try FileManager.default.copyItem(atPath: hooksDirectory + "/fsfreeze-hook", toPath: copy)
        var environment = ProcessInfo.processInfo.environment
        environment["FSFREEZE_HOOK_LOG"] = scene.logFile
        environment["FSFREEZE_HOOK_D"] = nil
        _ = try FreezeHookRunner.run(
            FreezeHook(path: copy, environment: environment.map { "\($0.key)=\($0.value)" }).invocation(.freeze))
        #expect(scene.order == ["10-a freeze"])
    }

    @Test("an unknown action is refused")
    func unknownAction() {
        let outcome = Subprocess.run(ProcessInvocation(hooksDirectory + "/fsfreeze-hook", ["bogus"], timeout: 30))
        #expect(outcome.termination == .exited(2))
    }
}

@Suite("hooks/fsfreeze-hook.d samples against fake database clients")
struct SampleHookTests {
    @Test("MySQL: the read lock is taken before freeze returns and held until thaw")
    func mysql() throws {
        let dir = HookDirectory()
        let log = dir.path + "/mysql.log"
        let fake = dir.script(
            "mysql",
            """
            #!/bin/sh
            for arg in "$@"; do [ "$arg" = -e ] && { echo oneshot >> \(log); exit 0; }; done
            echo "session start" >> \(log)
            while IFS= read -r line; do
                echo "stmt: $line" >> \(log)
                case "$line" in "SELECT '"*) v=${line#"SELECT '"}; echo "${v%"';"}" ;; esac
            done
            echo "session end" >> \(log)

            """)
        var environment = ProcessInfo.processInfo.environment
        environment["MYSQL"] = fake
        environment["MYSQL_FREEZE_STATE_DIR"] = dir.path + "/state"
        let sample = FreezeHook(
            path: hooksDirectory + "/fsfreeze-hook.d/mysql-flush.sh.sample", timeout: 60,
            environment: environment.map { "\($0.key)=\($0.value)" })

        let frozen = try FreezeHookRunner.run(sample.invocation(.freeze))
        #expect(frozen.output == "tables flushed and read-locked\n")
        let during = dir.read("mysql.log")
        #expect(during.contains("stmt: FLUSH TABLES WITH READ LOCK;"))
        #expect(!during.contains("session end"))  // the session (and its lock) outlives the hook

        let thawed = try FreezeHookRunner.run(sample.invocation(.thaw))
        #expect(thawed.output == "read lock released\n")
        #expect(dir.read("mysql.log").hasSuffix("session end\n"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/state"))
    }

    @Test("MySQL: no client installed means nothing to do")
    func mysqlAbsent() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MYSQL"] = "/nonexistent/mysql"
        let sample = FreezeHook(
            path: hooksDirectory + "/fsfreeze-hook.d/mysql-flush.sh.sample", environment: environment.map { "\($0.key)=\($0.value)" })
        #expect(try FreezeHookRunner.run(sample.invocation(.freeze)).output.isEmpty)
    }

    @Test("PostgreSQL: CHECKPOINT on freeze, nothing on thaw")
    func postgres() throws {
        let dir = HookDirectory()
        let fake = dir.script("psql", "#!/bin/sh\necho \"$*\" >> \(dir.path)/psql.log\n")
        var environment = ProcessInfo.processInfo.environment
        environment["PSQL"] = fake
        environment["PGUSER_OS"] = String(cString: getpwuid(getuid()).pointee.pw_name)
        let sample = FreezeHook(
            path: hooksDirectory + "/fsfreeze-hook.d/postgresql-checkpoint.sh.sample",
            environment: environment.map { "\($0.key)=\($0.value)" })
        #expect(try FreezeHookRunner.run(sample.invocation(.freeze)).output == "checkpoint done\n")
        #expect(dir.read("psql.log").contains("-c CHECKPOINT"))
        _ = try FreezeHookRunner.run(sample.invocation(.thaw))
        #expect(dir.read("psql.log").split(separator: "\n").count == 2)  // probe + checkpoint, none on thaw
    }
}
