#ifndef QGA_CLINUX_H
#define QGA_CLINUX_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <getopt.h> /* getopt_long: the agent's command line, as qemu-ga parses it */
#include <syslog.h>

/* syslog(3) is variadic, which Swift cannot call: one message, always passed as "%s". */
static inline void clinux_syslog(int priority, const char *message) {
    syslog(priority, "%s", message);
}
#endif
