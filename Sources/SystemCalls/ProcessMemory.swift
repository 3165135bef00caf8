import Glibc
import CLinux

/// The agent's own heap.
public enum ProcessMemory {
    /// Gives the heap's free pages back to the kernel. After one huge request (a 48 MiB
    /// `guest-file-read`, a 6 MB request of millions of tokens) the allocator keeps the freed
    /// memory mapped, and the agent would stay tens of megabytes larger in every VM of a fleet
    /// until it exits. The corresponding C function is glibc's `malloc_trim(0)`; musl's malloc
    /// (the static build) has none and unmaps freed memory by itself (CLinux.h).
    public static func releaseFreePages() {
        clinux_release_free_heap()
    }
}
