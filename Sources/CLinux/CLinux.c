/* program_invocation_short_name (glibc builds only) */
#define _GNU_SOURCE
#include "CLinux.h"
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* argv as main received it (Embedded/EmbeddedRuntime.c). A glibc-only ELF constructor that is
   passed (argc, argv, envp) would see nothing under musl, which passes constructors no
   arguments. */
static int saved_argc;
static char **saved_argv;

/* The name syslog lines carry: glibc's default, the program's name as it was started
   (program_invocation_short_name); argv[0] where main saved it. */
static const char *syslog_identity(void) {
    const char *name = NULL;
    if (saved_argv && saved_argv[0]) name = saved_argv[0];
#ifdef __GLIBC__
    else name = program_invocation_short_name;
#endif
    if (!name) return "";
    const char *slash = strrchr(name, '/');
    return slash ? slash + 1 : name;
}

/* The connection to /dev/log: -1 while there is none. */
static int syslog_fd = -1;
static int syslog_stream; /* /dev/log is a stream socket: each line ends in a NUL */

static int syslog_connect(void) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strcpy(address.sun_path, "/dev/log");
    for (int stream = 0; stream <= 1; stream++) {
        int fd = socket(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
            syslog_fd = fd;
            syslog_stream = stream;
            return 0;
        }
        int failure = errno;
        close(fd);
        if (failure != EPROTOTYPE) return -1;
    }
    return -1;
}

void clinux_syslog(int priority, const char *message) {
    /* Monotonic second before which /dev/log is taken to be missing; -1 once it was found. */
    static time_t missing_until;
    if (missing_until >= 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < missing_until) return;
        if (access("/dev/log", F_OK) != 0) {
            missing_until = now.tv_sec + 1;
            return;
        }
        missing_until = -1;
    }
    /* What glibc's syslog(3) sends with no openlog: "<PRI>Mmm dd hh:mm:ss NAME: MESSAGE", the
       facility user unless the priority names one, no pid, no trailing newline. */
    if ((priority & LOG_FACMASK) == 0) priority |= LOG_USER;
    time_t seconds = time(NULL);
    struct tm local;
    char stamp[32] = "";
    if (localtime_r(&seconds, &local)) strftime(stamp, sizeof stamp, "%h %e %T ", &local);
    const char *name = syslog_identity();
    size_t size = 16 + strlen(stamp) + strlen(name) + 2 + strlen(message) + 1;
    char *line = malloc(size);
    if (!line) return;
    int length = snprintf(line, size, "<%d>%s%s: %s", priority, stamp, name, message);
    if (length < 0) { free(line); return; }
    /* A daemon that restarted closed its end: reconnect once and send again, as glibc does. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (syslog_fd < 0 && syslog_connect() != 0) break;
        size_t count = (size_t)length + (syslog_stream ? 1 : 0);
        if (send(syslog_fd, line, count, MSG_NOSIGNAL) >= 0) break;
        close(syslog_fd);
        syslog_fd = -1;
    }
    free(line);
}

void clinux_set_arguments(int argc, char **argv) {
    saved_argc = argc;
    saved_argv = argv;
}

int clinux_argc(void) { return saved_argc; }
char **clinux_argv(void) { return saved_argv; }

static ssize_t system_getrandom(void *buffer, size_t length, unsigned int flags) {
    return getrandom(buffer, length, flags);
}

ssize_t clinux_random_bytes(void *buffer, size_t length, unsigned int flags) {
    return clinux_random_bytes_using(buffer, length, flags, system_getrandom, "/dev/urandom");
}

ssize_t clinux_random_bytes_using(void *buffer, size_t length, unsigned int flags,
                                  ssize_t (*get)(void *, size_t, unsigned int), const char *fallback_path) {
    unsigned char *bytes = buffer;
    size_t filled = 0;
    int use_file = get == NULL;
    int fd = use_file ? open(fallback_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (use_file && fd < 0) return -1;
    while (filled < length) {
        ssize_t got;
        if (!use_file) {
            got = get(bytes + filled, length - filled, flags);
            if (got < 0 && errno == ENOSYS) {
                /* Linux before 3.17: no getrandom. /dev/urandom never blocks (and, unlike
                   getrandom, does not wait for the pool at boot either). */
                fd = open(fallback_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0) return -1;
                use_file = 1;
                continue;
            }
        } else {
            got = read(fd, bytes + filled, length - filled);
            if (got == 0) { errno = EIO; got = -1; }
        }
        if (got < 0) {
            if (errno == EINTR) continue;
            if (fd >= 0) { int saved = errno; close(fd); errno = saved; }
            return -1;
        }
        filled += (size_t)got;
    }
    if (fd >= 0) close(fd);
    return (ssize_t)filled;
}
