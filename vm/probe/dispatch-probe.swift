// dispatch-probe: does a libdispatch read source on the virtio port spin
// while no host is connected?  (finding in vm/README.md)
// Build: swiftc -O vm/probe/dispatch-probe.swift -o OUT   (not part of the
// package; boot it with vm/build-guest.sh OUT OUTDIR).
import Dispatch
import Glibc

func log(_ s: String) { print("dprobe[\(uptime())] \(s)"); fflush(stdout) }
func uptime() -> String {
    var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t)
    return String(format: "%d.%03d", t.tv_sec, t.tv_nsec / 1_000_000)
}
func String(format: String, _ a: Int, _ b: Int) -> String {
    let ms = "00\(b)"; return "\(a).\(ms.suffix(3))"
}

var dev = ""
for _ in 0..<100 {
    if let d = opendir("/sys/class/virtio-ports") {
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if n.hasPrefix(".") { continue }
            if let f = fopen("/sys/class/virtio-ports/\(n)/name", "r") {
                var buf = [CChar](repeating: 0, count: 256)
                fgets(&buf, 256, f); fclose(f)
                if String(cString: buf).hasPrefix("org.qemu.guest_agent.0") { dev = "/dev/\(n)" }
            }
        }
        closedir(d)
    }
    if !dev.isEmpty { break }
    usleep(100_000)
}
let fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)
log("opened \(dev) fd=\(fd)")
var calls = 0, zeros = 0, eagains = 0, bytes = 0
let q = DispatchQueue(label: "port")
let src = DispatchSource.makeReadSource(fileDescriptor: fd, queue: q)
src.setEventHandler {
    calls += 1
    var buf = [UInt8](repeating: 0, count: 4096)
    let n = read(fd, &buf, 4096)
    if n > 0 {
        bytes += n
        _ = buf.withUnsafeBytes { write(fd, $0.baseAddress!, n) }
        log("read \(n) bytes, echoed")
    } else if n == 0 { zeros += 1 } else if errno == EAGAIN { eagains += 1 }
}
src.resume()
var lastCalls = 0
let timer = DispatchSource.makeTimerSource(queue: q)
timer.schedule(deadline: .now() + 3, repeating: 3)
timer.setEventHandler {
    log("read-source handler calls in last 3 s: \(calls - lastCalls) (total \(calls), read()==0: \(zeros), EAGAIN: \(eagains), bytes: \(bytes))")
    lastCalls = calls
}
timer.resume()
dispatchMain()
