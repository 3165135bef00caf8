import QGAProtocol

extension QGAError {
    /// qemu's `error_setg_errno(errp, errno, message)` for an error that came through the
    /// seam: the handler's wording, the seam's errno (or its text when it had none).
    static func system(_ message: String, from error: QGAError) -> QGAError {
        guard let code = error.errno else { return QGAError("\(message): \(error.desc)") }
        return .system(message, errno: code)
    }
}
