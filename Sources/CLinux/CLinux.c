#include "CLinux.h"
#include <time.h>
#include <unistd.h>

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

/* glibc calls ELF constructors with (argc, argv, envp), before main and before Swift's own
   start-up code; both builds of the agent read their arguments from here. */
static int saved_argc;
static char **saved_argv;

__attribute__((constructor)) static void clinux_save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

int clinux_argc(void) { return saved_argc; }
char **clinux_argv(void) { return saved_argv; }
