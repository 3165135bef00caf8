#ifndef QGA_CLINUX_H
#define QGA_CLINUX_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <getopt.h> /* getopt_long: the agent's command line, as qemu-ga parses it */
#include <syslog.h>
#include <malloc.h> /* malloc_trim: the heap given back after a huge request */
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
/* SIG_IGN is a cast macro Swift cannot import. */
static inline void clinux_ignore_signal(int signal_number) { signal(signal_number, SIG_IGN); }
/* getrandom(2) without waiting for the kernel's entropy pool: -1 (EAGAIN) early at boot. */
static inline ssize_t clinux_random_bytes(void *buffer, size_t length) {
    return getrandom(buffer, length, GRND_NONBLOCK);
}
/* The process's argv, saved at startup (CLinux.c): Embedded Swift has no CommandLine. */
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
