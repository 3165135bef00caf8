import Glibc
import CLinux

/// The agent's own heap.
public enum ProcessMemory {
    /// Gives the heap's free pages back to the kernel. After one huge request (a 48 MiB
    /// `guest-file-read`, a 6 MB request of millions of tokens) the allocator keeps the freed
    /// memory mapped, and the agent would stay tens of megabytes larger in every VM of a fleet
    /// until it exits. The corresponding C function is `malloc_trim(0)`.
    public static func releaseFreePages() {
        _ = malloc_trim(0)
    }
}
