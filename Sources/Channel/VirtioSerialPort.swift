import Glibc
import SystemCalls

/// Finding the guest agent's virtio-serial port.
public enum VirtioSerialPort {
    public static let portName = "org.qemu.guest_agent.0"
    public static let defaultPath = "/dev/virtio-ports/org.qemu.guest_agent.0"

    /// Without udev there is no `/dev/virtio-ports/` symlink: find the `vportNpM` whose
    /// `/sys/class/virtio-ports/*/name` is the agent's port, and use `/dev/vportNpM`.
    public static func discover(sysfs: String = "/sys", dev: String = "/dev", name: String = portName) -> String? {
        let classDir = sysfs + "/class/virtio-ports"
        guard let ports = try? Directory.names(classDir) else { return nil }
        for port in ports {
            if port.hasPrefix(".") { continue }
            let nameFile = classDir + "/" + port + "/name"
            guard let fd = try? FileDescriptor.open(nameFile, O_RDONLY) else { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = (try? buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) -> Int in try fd.read(into: raw) } }.get()) ?? 0
            try? fd.close()
            guard n > 0 else { continue }
            var text = buffer[0..<n]
            while let last = text.last, last == 0x0A || last == 0x20 || last == 0 { text = text.dropLast() }
            if String(decoding: text, as: UTF8.self) == name { return dev + "/" + port }
        }
        return nil
    }
}
