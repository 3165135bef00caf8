#ifndef QGA_CLINUX_H
#define QGA_CLINUX_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>
#include <getopt.h> /* getopt_long: the agent's command line, as qemu-ga parses it */
#endif
