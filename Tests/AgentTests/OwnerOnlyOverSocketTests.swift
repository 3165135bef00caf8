import Foundation
import Testing

/// What the agent creates for the host is never writable by other local users, whatever
/// umask it was started with: the unix-listen socket is 0600 and replaces what sat at its
/// path without following a link; files `guest-file-open` creates are 0644. The real binary,
/// started by `sh` after `umask`.
@Suite("Agent binary: socket and file modes under any umask")
struct OwnerOnlyOverSocketTests {
    /// Starts the agent's command line after `umask MASK` in a shell.
    static func underUmask(_ mask: String) -> [String] {
        ["/bin/sh", "-c", "umask \(mask) && exec \"$@\"", "sh"]
    }

    /// The file's type and permission bits, not following a link (nil if nothing is there).
    static func lstatMode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode : nil
    }

    /// Waits until `path` is a socket (the agent renames it into place once it listens).
    static func waitForSocket(_ path: String, agent: AgentProcess) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && agent.process.isRunning {
            if let mode = lstatMode(path), mode & S_IFMT == S_IFSOCK { return true }
            usleep(10_000)
        }
        return false
    }

    @Test(arguments: ["000", "022", "077"])
    func theSocketIsOwnerOnly(umask mask: String) throws {
        let agent = try AgentProcess(launcher: Self.underUmask(mask))
        #expect(Self.waitForSocket(agent.socketPath, agent: agent))
        let mode = try #require(Self.lstatMode(agent.socketPath))
        #expect(mode & 0o7777 == 0o600, "mode \(String(mode & 0o7777, radix: 8)) under umask \(mask)")
        #expect(try agent.connect().call(#"{"execute":"guest-ping"}"#)["return"] != nil)
        // Only the socket is left: no temporary name beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: agent.dir.path).filter { $0.hasPrefix("sock") } == ["sock"])
    }

    /// A link to a file, a dangling link and a plain file at the path: each is replaced by
    /// the socket; the link's target is untouched (never followed, never removed). The
    /// launcher plants them in the agent's directory just before it starts the agent.
    @Test(arguments: [
        ("symlink", "ln -s victim sock"), ("dangling symlink", "ln -s nowhere sock"), ("regular file", "echo stale > sock"),
    ])
    func whatSitsAtThePathIsReplacedNotFollowed(_ kind: String, plant: String) throws {
        let setup = "umask 000 && printf 'keep me\\n' > victim && chmod 640 victim && \(plant) && exec \"$@\""
        let agent = try AgentProcess(launcher: ["/bin/sh", "-c", setup, "sh"])
        #expect(Self.waitForSocket(agent.socketPath, agent: agent), "\(kind): \(agent.log)")
        #expect(Self.lstatMode(agent.socketPath).map { $0 & 0o7777 } == 0o600)
        #expect(try String(contentsOfFile: agent.dir.file("victim"), encoding: .utf8) == "keep me\n")
        #expect(Self.lstatMode(agent.dir.file("victim")) == S_IFREG | 0o640)
        #expect(!FileManager.default.fileExists(atPath: agent.dir.file("nowhere")))
        #expect(try agent.connect().call(#"{"execute":"guest-ping"}"#)["return"] != nil)
    }

    @Test func aDirectoryAtThePathStaysAndTheAgentFails() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("sock"), withIntermediateDirectories: false)
        let result = try runProcess(
            agentBinary, ["-m", "unix-listen", "-p", dir.file("sock"), "-t", dir.path],
            environment: ["QGA_CONF": "/nonexistent/qemu-ga.conf"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error opening channel '\(dir.file("sock"))': Is a directory"), "\(result.stderr)")
        #expect(Self.lstatMode(dir.file("sock")).map { $0 & S_IFMT } == S_IFDIR)
    }

    /// Under umask 000 a plain create would leave 0666 (qemu-ga's mode), under 077 0600: only
    /// the agent's own fchmod gives 0644 under both. Existing files keep their mode, however
    /// open.
    @Test(arguments: ["000", "077"])
    func filesGuestFileOpenCreatesAre0644(umask mask: String) throws {
        let agent = try AgentProcess(launcher: Self.underUmask(mask))
        let client = try agent.connect()
        for (name, mode) in [("new-w", "w"), ("new-a", "a"), ("new-w+", "w+"), ("new-a+b", "a+b")] {
            let open = try client.call(#"{"execute":"guest-file-open","arguments":{"path":"\#(name)","mode":"\#(mode)"}}"#)
            #expect(open["return"] != nil, "\(open)")
            #expect(Self.lstatMode(agent.dir.file(name)) == S_IFREG | 0o644, "\(name) under umask \(mask)")
        }
        for existing: mode_t in [0o666, 0o600, 0o755] {
            let name = "old-\(String(existing, radix: 8))"
            FileManager.default.createFile(atPath: agent.dir.file(name), contents: Data("x".utf8))
            chmod(agent.dir.file(name), existing)
            for mode in ["w", "a+", "r+"] {
                let open = try client.call(#"{"execute":"guest-file-open","arguments":{"path":"\#(name)","mode":"\#(mode)"}}"#)
                #expect(open["return"] != nil, "\(open)")
            }
            #expect(Self.lstatMode(agent.dir.file(name)) == S_IFREG | existing, "\(name) under umask \(mask)")
        }
    }
}
