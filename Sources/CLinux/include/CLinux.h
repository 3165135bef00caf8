#ifndef QGA_CLINUX_H
#define QGA_CLINUX_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <getopt.h> /* getopt_long: the agent's command line, as qemu-ga parses it */
#include <syslog.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/nvme_ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <sys/random.h>

/* Embedded Swift (the shipped binary) imports no variadic C function and no macro that expands
   to an expression, such as errno. These are the fixed-argument forms the agent calls; both
   builds use them, so the sources are the same. */
static inline int clinux_errno(void) { return errno; }
static inline int clinux_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
static inline int clinux_openat(int directory, const char *path, int flags, mode_t mode) {
    return openat(directory, path, flags, mode);
}
static inline int clinux_fcntl(int fd, int command, int argument) { return fcntl(fd, command, argument); }
static inline int clinux_ioctl(int fd, unsigned long request, void *argument) { return ioctl(fd, request, argument); }
/* SOCK_STREAM and SOCK_CLOEXEC are enum constants in glibc and plain macros in musl: one
   constant both import the same way. */
static const int CLINUX_SOCK_STREAM_CLOEXEC = SOCK_STREAM | SOCK_CLOEXEC;
/* The heap's free pages back to the kernel after a huge request. glibc keeps freed memory
   mapped until malloc_trim; musl has no malloc_trim, and its malloc returns freed memory to
   the kernel by itself. */
#ifdef __GLIBC__
#include <malloc.h>
static inline void clinux_release_free_heap(void) { malloc_trim(0); }
#else
static inline void clinux_release_free_heap(void) {}
#endif
/* SIG_IGN is a cast macro Swift cannot import. */
static inline void clinux_ignore_signal(int signal_number) { signal(signal_number, SIG_IGN); }
/* Random bytes from getrandom(2) (`flags` as there), or, on kernels older than 3.17 (RHEL 7's
   3.10) where it fails with ENOSYS, from /dev/urandom. Fills all of `buffer` or returns -1 with
   errno: EAGAIN early at boot with GRND_NONBLOCK, when the kernel has no entropy yet. (CLinux.c) */
ssize_t clinux_random_bytes(void *buffer, size_t length, unsigned int flags);
/* The same with the system call supplied, so a test can answer ENOSYS and force the fallback;
   with `get` NULL, straight from `fallback_path`. */
ssize_t clinux_random_bytes_using(void *buffer, size_t length, unsigned int flags,
                                  ssize_t (*get)(void *, size_t, unsigned int), const char *fallback_path);
/* The process's argv, as `main` received it: Embedded Swift has no CommandLine, so the shipped
   binary's C `main` (Embedded/EmbeddedRuntime.c) saves it here before the Swift code starts. */
void clinux_set_arguments(int argc, char **argv);
int clinux_argc(void);
char **clinux_argv(void);
extern char **environ;
/* The agent's own environment, as posix_spawn passes it on. */
static inline char *const *clinux_environ(void) { return environ; }

/* syslog(3) is variadic, which Swift cannot call: one message, always passed as "%s".
   While /dev/log is missing (no syslog daemon), syslog(3) tries socket+connect again on every
   call: three failing system calls per audit line, per guest-ping. Those lines go nowhere, so
   the socket's presence is checked at most once a second until it appears; after that
   syslog(3) keeps its own connection and reconnects by itself. (CLinux.c) */
void clinux_syslog(int priority, const char *message);

/* NVMe Get Log Page (admin opcode 0x02) for all namespaces, with Retain Asynchronous Event
 * (bit 15 of CDW10) so reading the log does not clear a pending event. `length` is a multiple
 * of 4 (NUMDL counts dwords, 0-based). Returns ioctl's result: 0, -1 with errno, or a positive
 * NVMe status the controller answered. */
static inline int clinux_nvme_get_log_page(int fd, uint8_t log_id, void *buffer, uint32_t length) {
    struct nvme_admin_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.opcode = 0x02;
    cmd.nsid = 0xffffffffu;
    cmd.addr = (uint64_t)(uintptr_t)buffer;
    cmd.data_len = length;
    cmd.cdw10 = (uint32_t)log_id | (1u << 15) | (((length >> 2) - 1u) << 16);
    return ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
}
#endif
