#include "CLinux.h"
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>

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
    syslog(priority, "%s", message);
}

/* argv as main received it (Embedded/EmbeddedRuntime.c). A glibc-only ELF constructor that is
   passed (argc, argv, envp) would see nothing under musl, which passes constructors no
   arguments. */
static int saved_argc;
static char **saved_argv;

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
