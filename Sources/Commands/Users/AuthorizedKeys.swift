import Glibc
import QGAProtocol
import SystemCalls

/// What the `guest-ssh-*-authorized-keys` commands share: the account lookup, the key check
/// and `~/.ssh/authorized_keys` read and written the way qemu-ga does it.
///
/// The user owns their home, so `~/.ssh` and the file in it may be symbolic links the user
/// planted (to `/root/.ssh`, say). Everything therefore happens relative to a descriptor of
/// `~/.ssh` opened without following a link (the home's own path comes from passwd, which
/// only root controls): a linked `~/.ssh` is refused, a linked file is never read, and the new
/// file gets its owner and mode on its descriptor before it is renamed into place.
///
/// The file is handled as lines split on `\n` and joined back with `\n` (no newline is added
/// at the end), so lines the host did not touch, comments included, survive unchanged.
enum AuthorizedKeys {
    static let fileName = "authorized_keys"

    /// qemu-ga's sanity check: a key may not start with `#` nor contain a newline.
    static func check(_ keys: [String]) throws(QGAError) {
        for key in keys where key.utf8.first == UInt8(ascii: "#") || key.utf8.contains(UInt8(ascii: "\n")) {
            throw QGAError("invalid OpenSSH public key: '\(key)'")
        }
    }

    /// The account, or glib's lookup error (`g_unix_get_passwd_entry` reports ENOENT).
    static func account(_ username: String, system: any GuestUsers) throws(QGAError) -> UserAccount {
        guard let account = system.userAccount(username) else {
            throw QGAError("failed to lookup user '\(username)': \(QGAError.errorText(ENOENT))")
        }
        return account
    }

    /// `<home>/.ssh`, joined as `g_build_filename` joins (no doubled separator).
    static func sshDirectory(_ account: UserAccount) -> String {
        account.home.hasSuffix("/") ? account.home + ".ssh" : account.home + "/.ssh"
    }

    static func keysFile(_ account: UserAccount) -> String { sshDirectory(account) + "/" + fileName }

    /// `~/.ssh` itself, never a directory a symbolic link there points at; nil when there is
    /// none. A link fails with ELOOP, anything not a directory with ENOTDIR.
    static func openSSHDirectory(_ account: UserAccount, system: any GuestFiles) throws(QGAError) -> OpenDirectory? {
        let path = sshDirectory(account)
        do {
            return try system.openDirectoryNoFollow(path)
        } catch {
            if error.isNoSuchFile { return nil }
            throw QGAError.system("failed to open directory '\(path)'", from: error)
        }
    }

    /// `~/.ssh` as ``openSSHDirectory(_:system:)`` opens it, created (0700, owned by the
    /// user) when it is missing.
    static func openOrMakeSSHDirectory(_ account: UserAccount, system: any GuestFiles) throws(QGAError)
        -> OpenDirectory
    {
        if let directory = try openSSHDirectory(account, system: system) { return directory }
        let path = sshDirectory(account)
        do {
            try system.makeDirectory(path, permissions: 0o700)
        } catch {
            throw QGAError.system("failed to create directory '\(path)'", from: error)
        }
        // Opened again without following: the user may have swapped in a link since mkdir.
        guard let directory = try openSSHDirectory(account, system: system) else {
            throw QGAError.system("failed to open directory '\(path)'", errno: ENOENT)
        }
        // Given to the user through the descriptor, so the calls reach this directory only.
        do {
            try system.setOwner(of: directory, uid: account.uid, gid: account.gid)
        } catch {
            system.closeDirectory(directory)
            throw QGAError.system("failed to set ownership of directory '\(path)'", from: error)
        }
        do {
            try system.setPermissions(of: directory, 0o700)
        } catch {
            system.closeDirectory(directory)
            throw QGAError.system("failed to set permissions of directory '\(path)'", from: error)
        }
        return directory
    }

    /// The file's lines (`g_strsplit(contents, "\n", -1)`: an empty file has none, a final
    /// newline leaves an empty last line); nil when there is no file; qemu-ga's error
    /// otherwise (a symbolic link fails to open with ELOOP).
    static func readIfPresent(in directory: OpenDirectory, system: any GuestFiles) throws(QGAError) -> [String]? {
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(fileName, in: directory)
        } catch {
            if error.call == .open && error.isNoSuchFile { return nil }
            throw readError(error, path: directory.path(of: fileName))
        }
        // glib works on the C string: anything after a NUL byte is not there.
        let text = bytes.prefix { $0 != 0 }
        if text.isEmpty { return [] }
        return text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// The file's lines, or qemu-ga's error, a missing file included.
    static func read(in directory: OpenDirectory, system: any GuestFiles) throws(QGAError) -> [String] {
        guard let lines = try readIfPresent(in: directory, system: system) else {
            throw missingFile(directory.path(of: fileName))
        }
        return lines
    }

    /// The error reading `path` gives when it is not there (nor `~/.ssh`).
    static func missingFile(_ path: String) -> QGAError {
        readError(SystemCallError(.open, path: path, errno: .noSuchFileOrDirectory), path: path)
    }

    /// glib's g_file_get_contents words the open and the read apart.
    private static func readError(_ error: SystemCallError, path: String) -> QGAError {
        let what = error.call == .open ? "Failed to open file" : "Failed to read from file"
        return QGAError.system("failed to read '\(path)': \(what) “\(path)”", from: error)
    }

    /// Replaces the file (atomically) with the lines, owned by the user, mode 0600: qemu-ga's
    /// texts when the owner or the mode cannot be set (its ownership text says "directory"
    /// for the file too).
    static func write(_ lines: [String], in directory: OpenDirectory, account: UserAccount, system: any GuestFiles)
        throws(QGAError)
    {
        let path = directory.path(of: fileName)
        do {
            try system.replaceFile(
                fileName, in: directory, with: Array(lines.joined(separator: "\n").utf8), uid: account.uid,
                gid: account.gid, permissions: 0o600)
        } catch {
            switch error.call {
            case .setTemporaryOwner:
                throw QGAError.system("failed to set ownership of directory '\(path)'", from: error)
            case .setTemporaryPermissions:
                throw QGAError.system("failed to set permissions of '\(path)'", from: error)
            default:
                throw QGAError("failed to write to '\(path)'", wrapping: error)
            }
        }
    }
}
