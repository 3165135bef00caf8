import Glibc
import QGAProtocol

/// What the `guest-ssh-*-authorized-keys` commands share: the account lookup, the key check
/// and `~/.ssh/authorized_keys` read and written the way qemu-ga does it.
///
/// The file is handled as lines split on `\n` and joined back with `\n` (no newline is added
/// at the end), so lines the host did not touch, comments included, survive unchanged.
enum AuthorizedKeys {
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

    static func keysFile(_ account: UserAccount) -> String { sshDirectory(account) + "/authorized_keys" }

    /// The file's lines (`g_strsplit(contents, "\n", -1)`: an empty file has none, a final
    /// newline leaves an empty last line), or qemu-ga's error.
    static func read(_ path: String, system: any GuestFiles) throws(QGAError) -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try system.readFile(path)
        } catch {
            // glib's g_file_get_contents words the open and the read apart.
            let what = error.call == .open ? "Failed to open file" : "Failed to read from file"
            throw QGAError.system("failed to read '\(path)': \(what) “\(path)”", from: error)
        }
        // glib works on the C string: anything after a NUL byte is not there.
        let text = bytes.prefix { $0 != 0 }
        if text.isEmpty { return [] }
        return text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Writes the lines back (atomically), then gives the file to the user, mode 0600.
    static func write(_ lines: [String], to path: String, account: UserAccount, system: any GuestFiles)
        throws(QGAError)
    {
        do {
            // Created 0600 at once: qemu-ga's file is briefly 0644 before its chmod.
            try system.replaceFile(path, with: Array(lines.joined(separator: "\n").utf8), permissions: 0o600)
        } catch {
            throw QGAError("failed to write to '\(path)'", wrapping: error)
        }
        try giveToUser(path, account, permissions: 0o600, kind: "", system: system)
    }

    /// Creates `~/.ssh` (0700, owned by the user) when it is missing.
    static func makeSSHDirectory(_ account: UserAccount, system: any GuestFiles) throws(QGAError) {
        let path = sshDirectory(account)
        if system.isDirectory(path) { return }
        do {
            try system.makeDirectory(path, permissions: 0o700)
        } catch {
            throw QGAError.system("failed to create directory '\(path)'", from: error)
        }
        try giveToUser(path, account, permissions: 0o700, kind: "directory ", system: system)
    }

    /// Makes `path` the user's, then sets its mode, with qemu-ga's texts: the ownership text
    /// says "directory" for the keys file too; the permissions text names the `kind` (`""` or
    /// `"directory "`).
    private static func giveToUser(
        _ path: String, _ account: UserAccount, permissions: UInt32, kind: String, system: any GuestFiles
    ) throws(QGAError) {
        do {
            try system.setOwner(path, uid: account.uid, gid: account.gid)
        } catch {
            throw QGAError.system("failed to set ownership of directory '\(path)'", from: error)
        }
        do {
            try system.setPermissions(path, permissions)
        } catch {
            throw QGAError.system("failed to set permissions of \(kind)'\(path)'", from: error)
        }
    }
}
