/// How the agent talks to the host (`-m/--method`).
public enum ChannelMethod: String, Sendable, CaseIterable {
    case virtioSerial = "virtio-serial"
    case isaSerial = "isa-serial"
    case unixListen = "unix-listen"
    case vsockListen = "vsock-listen"

    /// The path used when `-p` is not given; nil where one is required.
    public var defaultPath: String? {
        switch self {
        case .virtioSerial: return VirtioSerialPort.defaultPath
        case .isaSerial: return "/dev/ttyS0"
        case .unixListen, .vsockListen: return nil
        }
    }
}

/// What the channel hands bytes to: in the agent, an `AgentSession`.
public protocol ChannelHandler: AnyObject {
    /// Bytes from the host; append any replies to `output`.
    func received(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8])
    /// A new host connection starts: drop any partial request of the previous one.
    func connectionStarted()
}

/// A channel failure, with the text qemu-ga logs.
public struct ChannelError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var errno: Int32?
    public init(_ description: String, errno: Int32? = nil) {
        self.description = description
        self.errno = errno
    }
}
