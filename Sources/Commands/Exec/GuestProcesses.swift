import Glibc
import ProcessRunner
import QGAProtocol

/// The children `guest-exec` started, until the host collects an ended one with
/// `guest-exec-status`.
///
/// Nothing here blocks. Input is written and output read as far as the pipes allow, whenever
/// the event loop sees one of ``pollDescriptors()`` ready and again on every
/// `guest-exec-status`; a child is reaped with `waitpid(WNOHANG)` on those passes and on every
/// SIGCHLD the loop reads, so none is left a zombie until the host asks. Captured output is kept up
/// to 16 MiB per stream (`GUEST_EXEC_MAX_OUTPUT`); the rest is read and dropped, so the child
/// never blocks on a full pipe, and the stream is marked truncated.
public final class GuestProcesses {
    /// `GUEST_EXEC_MAX_OUTPUT`.
    public static let outputLimit = 16 << 20
    /// Bytes taken from one pipe per pass, so a child that never stops writing cannot keep the
    /// agent from its channel.
    static let passBudget = 4 << 20

    /// One captured stream; `fd` is nil once the pipe reached end of file (or was never open).
    final class Capture {
        var fd: Int32?
        var data: [UInt8] = []
        var truncated = false
        init(fd: Int32?) { self.fd = fd }
    }

    final class Child {
        let pid: Int32
        var input: Int32?
        let pendingInput: [UInt8]
        var written = 0
        /// qemu-ga's `has_output`: the status waits for both captures to close.
        let hasOutput: Bool
        let output: Capture?
        let error: Capture?
        var exit: ChildExit?

        init(_ spawned: SpawnedChild, input: [UInt8], hasOutput: Bool) {
            pid = spawned.pid
            self.input = spawned.standardInput
            pendingInput = input
            self.hasOutput = hasOutput
            output = hasOutput ? Capture(fd: spawned.standardOutput) : nil
            error = hasOutput ? Capture(fd: spawned.standardError) : nil
        }

        var finished: Bool { exit != nil && output?.fd == nil && error?.fd == nil }
    }

    private var children: [Child] = []
    private var readBuffer: [UInt8] = []

    public init() {}

    /// How many children are waiting to be collected.
    public var count: Int { children.count }

    /// Takes over a started child's pipes; `input` is written to its standard input.
    func add(_ spawned: SpawnedChild, input: [UInt8], hasOutput: Bool, system: any GuestSystem) {
        // A pid the kernel reused belongs to the new child: the old entry ended long ago.
        if let stale = children.firstIndex(where: { $0.pid == spawned.pid }) {
            release(children.remove(at: stale), system: system)
        }
        children.append(Child(spawned, input: input, hasOutput: hasOutput))
    }

    /// The pipes the event loop should watch: standard inputs still being written, and
    /// captured outputs still open.
    public func pollDescriptors() -> [pollfd] {
        var fds: [pollfd] = []
        for child in children {
            if let fd = child.input { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
            for capture in [child.output, child.error] {
                if let fd = capture?.fd { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            }
        }
        return fds
    }

    /// Moves input and output as far as the pipes allow right now, and reaps ended children.
    public func service(system: any GuestSystem) {
        for child in children {
            writeInput(child, system: system)
            if let output = child.output { drain(output, system: system) }
            if let error = child.error { drain(error, system: system) }
            if child.exit == nil { child.exit = system.reapChild(child.pid) }
        }
    }

    /// `guest-exec-status` for `pid`: not exited yet, or how it ended with its output (the
    /// entry is then forgotten, as qemu-ga forgets it).
    func status(_ pid: Int64, system: any GuestSystem) throws(QGAError) -> GuestExecStatus.Result {
        guard let index = children.firstIndex(where: { Int64($0.pid) == pid }) else {
            // qemu-ga 10.x's text, with the number its format string leaves out ("PID ld").
            throw QGAError("PID \(pid) does not exist")
        }
        let child = children[index]
        service(system: system)
        guard child.finished else { return GuestExecStatus.Result(exited: false) }
        children.remove(at: index)
        release(child, system: system)

        var result = GuestExecStatus.Result(exited: true)
        switch child.exit {
        case .exited(let code)?: result.exitcode = Int64(code)
        case .signaled(let signal)?: result.signal = Int64(signal)
        case .unknown?, nil: break
        }
        if let output = child.output, !output.data.isEmpty {
            result.outData = Base64.encode(output.data)
            result.outTruncated = output.truncated
        }
        if let error = child.error, !error.data.isEmpty {
            result.errData = Base64.encode(error.data)
            result.errTruncated = error.truncated
        }
        return result
    }

    private func writeInput(_ child: Child, system: any GuestSystem) {
        guard let fd = child.input else { return }
        while child.written < child.pendingInput.count {
            let result = child.pendingInput.withUnsafeBytes { raw in
                Result { () throws(QGAError) -> Int in
                    try system.writeDescriptor(fd, UnsafeRawBufferPointer(rebasing: raw[child.written...]))
                }
            }
            switch result {
            case .success(let n) where n > 0:
                child.written += n
            case .failure(let error) where error.errno == EAGAIN || error.errno == EWOULDBLOCK:
                return  // the pipe is full: the loop calls again when it drains
            default:
                // EPIPE: the child closed its input; what it did not read is its business.
                child.written = child.pendingInput.count
            }
        }
        try? system.closeFile(fd)
        child.input = nil
    }

    private func drain(_ capture: Capture, system: any GuestSystem) {
        guard let fd = capture.fd else { return }
        if readBuffer.isEmpty { readBuffer = [UInt8](repeating: 0, count: 64 << 10) }
        var taken = 0
        while taken < Self.passBudget {
            let result = readBuffer.withUnsafeMutableBytes { raw in
                Result { () throws(QGAError) -> Int in try system.readDescriptor(fd, into: raw) }
            }
            switch result {
            case .success(let n) where n > 0:
                taken += n
                let keep = min(n, Self.outputLimit - capture.data.count)
                if keep > 0 { capture.data.append(contentsOf: readBuffer[0..<keep]) }
                if keep < n { capture.truncated = true }
            case .failure(let error) where error.errno == EAGAIN || error.errno == EWOULDBLOCK:
                return
            default:
                // End of file (or a read error, which ends the capture as it does in qemu-ga).
                try? system.closeFile(fd)
                capture.fd = nil
                return
            }
        }
    }

    private func release(_ child: Child, system: any GuestSystem) {
        for fd in [child.input, child.output?.fd, child.error?.fd] {
            if let fd { try? system.closeFile(fd) }
        }
    }
}
