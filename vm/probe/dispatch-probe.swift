// dispatch-probe: how libdispatch sources behave on the virtio port
// (findings in vm/README.md).  Not part of the package; build by hand:
//     swiftc -O vm/probe/dispatch-probe.swift -o .build-vm/dispatch-probe
//     vm/build-guest.sh .build-vm/dispatch-probe .build-vm/dispatch-guest
//     vm/probe/research.py .build-vm/dispatch-guest dispatch dispatch-sigio
//
// --mode=naive (default): one DispatchSource read source on the port fd,
//     nothing else.  Shows that it fires once (EPOLLHUP while no host is
//     connected), libdispatch then deletes the fd from its epoll set
//     (SR-9033 hang-up handling) and the source never fires again, even
//     when the host connects and sends data.
// --mode=sigio: SIGIO blocked before any thread exists, F_SETOWN + O_ASYNC
//     via fcntl, a DispatchSource signal source for SIGIO, and a read source
//     that exists only while the host is connected (created after a read()
//     returned EAGAIN, cancelled after read() returned 0).
import Dispatch
import Glibc

var t0 = timespec()
clock_gettime(CLOCK_MONOTONIC, &t0)
func stamp() -> String {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    let ms = Int(t.tv_sec - t0.tv_sec) * 1000 + Int(t.tv_nsec - t0.tv_nsec) / 1_000_000
    let frac = "00\(ms % 1000)"
    return "\(ms / 1000).\(frac.suffix(3))"
}
func log(_ s: String) {
    print("dprobe[\(stamp())] \(s)")
    fflush(stdout)
}

let mode = CommandLine.arguments.first(where: { $0.hasPrefix("--mode=") }).map { String($0.dropFirst(7)) } ?? "naive"

// Block SIGIO in this (the only) thread before libdispatch starts threads:
// they inherit the mask, so SIGIO can only be consumed through signalfd.
// (SIGIO's default action is to terminate the process.)
var sigs = sigset_t()
sigemptyset(&sigs)
sigaddset(&sigs, SIGIO)
pthread_sigmask(SIG_BLOCK, &sigs, nil)

func findPort() -> String? {
    for _ in 0..<100 {
        if let d = opendir("/sys/class/virtio-ports") {
            defer { closedir(d) }
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                if n.hasPrefix(".") { continue }
                guard let f = fopen("/sys/class/virtio-ports/\(n)/name", "r") else { continue }
                var buf = [CChar](repeating: 0, count: 256)
                _ = fgets(&buf, 256, f)
                fclose(f)
                if String(cString: buf) == "org.qemu.guest_agent.0\n" { return "/dev/\(n)" }
            }
        }
        usleep(100_000)
    }
    return nil
}

guard let dev = findPort() else { log("no port"); exit(2) }
let fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)
log("mode=\(mode) opened \(dev) fd=\(fd)")

let q = DispatchQueue(label: "port")
var readCalls = 0, sigCalls = 0, zeros = 0, eagains = 0, bytes = 0
var readSource: DispatchSourceRead?

func echo(_ buf: [UInt8], _ n: Int) {
    _ = buf.withUnsafeBytes { write(fd, $0.baseAddress!, n) }
}

/// Read until EAGAIN or EOF; manage the read source accordingly (sigio mode).
func drain(_ why: String) {
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buf, buf.count)
        if n > 0 {
            bytes += n
            echo(buf, n)
            log("\(why): read \(n) bytes, echoed")
            continue
        }
        if n == 0 {
            zeros += 1
            if let s = readSource {
                s.cancel()
                readSource = nil
                log("\(why): read()=0 (host gone): read source cancelled, waiting for SIGIO")
            }
            return
        }
        if errno == EAGAIN {
            eagains += 1
            if readSource == nil && mode == "sigio" {
                let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: q)
                s.setEventHandler { readCalls += 1; drain("read source") }
                s.resume()
                readSource = s
                log("\(why): EAGAIN (host connected): read source created")
            }
            return
        }
        log("\(why): read error \(errno)")
        return
    }
}

var sigSource: DispatchSourceSignal?
if mode == "sigio" {
    let ss = DispatchSource.makeSignalSource(signal: SIGIO, queue: q)
    ss.setEventHandler { sigCalls += 1; drain("SIGIO") }
    ss.resume()
    sigSource = ss
    _ = fcntl(fd, F_SETOWN, getpid())
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC)
    q.async { drain("start") }
} else {
    let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: q)
    s.setEventHandler {
        readCalls += 1
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buf, 4096)
        if n > 0 {
            bytes += n
            echo(buf, n)
            log("read \(n) bytes, echoed")
        } else if n == 0 { zeros += 1 } else if errno == EAGAIN { eagains += 1 }
    }
    s.resume()
    readSource = s
}

var last = (0, 0)
let timer = DispatchSource.makeTimerSource(queue: q)
timer.schedule(deadline: .now() + 3, repeating: 3)
timer.setEventHandler {
    log("last 3 s: read-source handler calls +\(readCalls - last.0), SIGIO handler calls +\(sigCalls - last.1) "
        + "(totals: read()==0 \(zeros), EAGAIN \(eagains), bytes \(bytes))")
    last = (readCalls, sigCalls)
}
timer.resume()
dispatchMain()
