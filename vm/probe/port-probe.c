/*
 * port-probe: stand-in guest agent used to prove the VM harness and to
 * measure how Linux's virtio_console driver behaves.  See vm/README.md for
 * the findings this program produced.
 *
 * Build: gcc -static -O2 -Wall -o port-probe port-probe.c   (vm/probe/build.sh)
 *
 * It is started by the initramfs /init exactly like the real agent:
 *     /usr/bin/qemu-ga-swift -m virtio-serial -v [qga.args from cmdline]
 * Unknown arguments are ignored; the probe understands:
 *     --mode=echo      (default) production-like loop: nonblocking fd,
 *                      SIGIO through signalfd while the host is away,
 *                      echo every line back.
 *     --mode=sigio     like echo, but prints every wake-up, counts context
 *                      switches while waiting and runs a monitor process.
 *     --mode=epollet   same as sigio but waits with an edge-triggered epoll
 *                      on the port fd instead of SIGIO.
 *     --mode=observe   scripted experiment (a) and (c): read/poll/write
 *                      behaviour with and without a host, see host script.
 *     --mode=lateopen  open the port only after --open-delay seconds, then
 *                      report what was received (data sent before open).
 *     --race-delay=S   after an EOF, sleep S seconds before waiting, so the
 *                      host can connect inside the window (pending signal).
 *     --open-delay=S   for lateopen.
 *     --setsig         also use F_SETSIG(SIGIO) so siginfo carries fd/band.
 *     --async-open     pass O_ASYNC to open() and do NOT set it with fcntl
 *                      (shows that open() ignores O_ASYNC).
 *     --port=NAME      virtio port name (default org.qemu.guest_agent.0).
 *     --mode=shutdown  run "/sbin/shutdown FLAG +0 hypervisor initiated
 *                      shutdown" like qemu-ga's guest-shutdown, FLAG from
 *     --flag=-P|-r|-H  (default -P); tests the initramfs power handling.
 *
 * All output goes to stdout (the serial console), one line per event,
 * prefixed with "probe[t]" where t is seconds since the probe started.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *port_name = "org.qemu.guest_agent.0";
static const char *mode = "echo";
static int race_delay = 0;
static int open_delay = 0;
static int use_setsig = 0;
static int async_via_open = 0;
static const char *shutdown_flag = "-P";
static struct timespec t0;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void say(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("probe[%.3f] %s\n", now(), buf);
    fflush(stdout);
}

static const char *errname(int e)
{
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case EPIPE: return "EPIPE";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
    default: return strerror(e);
    }
}

static void revents_str(short r, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s%s%s%s",
             r == 0 ? "none" : "",
             (r & POLLIN) ? "IN|" : "",
             (r & POLLRDNORM) ? "RDNORM|" : "",
             (r & POLLOUT) ? "OUT|" : "",
             (r & POLLHUP) ? "HUP|" : "",
             (r & POLLERR) ? "ERR|" : "",
             (r & POLLNVAL) ? "NVAL|" : "");
    size_t l = strlen(out);
    if (l && out[l - 1] == '|')
        out[l - 1] = 0;
}

static void epev_str(unsigned e, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s%s",
             (e & EPOLLIN) ? "EPOLLIN|" : "",
             (e & EPOLLOUT) ? "EPOLLOUT|" : "",
             (e & EPOLLHUP) ? "EPOLLHUP|" : "",
             (e & EPOLLRDHUP) ? "EPOLLRDHUP|" : "",
             (e & EPOLLERR) ? "EPOLLERR|" : "");
    size_t l = strlen(out);
    if (l && out[l - 1] == '|')
        out[l - 1] = 0;
}

/* voluntary_ctxt_switches of a task, from /proc/<pid>/status */
static long ctxt_switches(pid_t pid, const char *which)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t wl = strlen(which);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, which, wl) == 0 && line[wl] == ':') {
            v = strtol(line + wl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Find /dev/vportNpM whose /sys/class/virtio-ports/<x>/name is port_name. */
static int find_port(char *dev, size_t n)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        DIR *d = opendir("/sys/class/virtio-ports");
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                    continue;
                char p[512], name[256] = {0};
                snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
                FILE *f = fopen(p, "r");
                if (!f)
                    continue;
                if (fgets(name, sizeof name, f)) {
                    name[strcspn(name, "\n")] = 0;
                }
                fclose(f);
                if (strcmp(name, port_name) == 0) {
                    snprintf(dev, n, "/dev/%s", e->d_name);
                    closedir(d);
                    say("found port %s -> %s (after %d x 100ms)", port_name, dev, attempt);
                    return 0;
                }
            }
            closedir(d);
        }
        usleep(100 * 1000);
    }
    say("ERROR: no virtio port named %s under /sys/class/virtio-ports", port_name);
    return -1;
}

static int open_port(const char *dev, int flags)
{
    int fd = open(dev, flags);
    if (fd < 0) {
        say("open(%s) failed: %s", dev, errname(errno));
        return -1;
    }
    say("open(%s, %s%s) = %d, F_GETFL=0x%x", dev,
        (flags & O_NONBLOCK) ? "O_RDWR|O_NONBLOCK" : "O_RDWR",
        (flags & O_ASYNC) ? "|O_ASYNC" : "", fd, fcntl(fd, F_GETFL));
    return fd;
}

/* ---- SIGIO via signalfd ------------------------------------------------ */

static int setup_sigio(int fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        say("sigprocmask: %s", strerror(errno));
        return -1;
    }
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        say("signalfd: %s", strerror(errno));
        return -1;
    }
    if (fcntl(fd, F_SETOWN, getpid()) < 0)
        say("F_SETOWN: %s", strerror(errno));
    if (use_setsig && fcntl(fd, F_SETSIG, SIGIO) < 0)
        say("F_SETSIG: %s", strerror(errno));
    if (!async_via_open) {
        int fl = fcntl(fd, F_GETFL);
        if (fcntl(fd, F_SETFL, fl | O_ASYNC) < 0)
            say("F_SETFL O_ASYNC: %s", strerror(errno));
    }
    say("SIGIO armed: F_SETOWN=%d F_SETSIG=%s O_ASYNC via %s, F_GETFL=0x%x (O_ASYNC=0x%x)",
        (int)getpid(), use_setsig ? "SIGIO" : "0",
        async_via_open ? "open() only" : "fcntl(F_SETFL)", fcntl(fd, F_GETFL), O_ASYNC);
    return sfd;
}

static const char *sicode_str(int code)
{
    switch (code) {
    case SI_KERNEL: return "SI_KERNEL";
    case SI_USER: return "SI_USER";
    case POLL_IN: return "POLL_IN";
    case POLL_OUT: return "POLL_OUT";
    case POLL_MSG: return "POLL_MSG";
    case POLL_ERR: return "POLL_ERR";
    case POLL_PRI: return "POLL_PRI";
    case POLL_HUP: return "POLL_HUP";
    default: return "?";
    }
}

/* read all pending siginfo from signalfd; returns how many */
static int drain_signalfd(int sfd, int verbose, const char *why)
{
    struct signalfd_siginfo si;
    int n = 0;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        n++;
        if (verbose)
            say("  %s: signal %u (%s) code=%d(%s) band=0x%x fd=%d", why, si.ssi_signo,
                si.ssi_signo == SIGIO ? "SIGIO" : "?", si.ssi_code,
                sicode_str(si.ssi_code), si.ssi_band, si.ssi_fd);
    }
    return n;
}

/* ---- monitor process: prints the waiting task's ctxt switch deltas ----- */

static pid_t start_monitor(pid_t target)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    long last = ctxt_switches(target, "voluntary_ctxt_switches");
    long lastn = ctxt_switches(target, "nonvoluntary_ctxt_switches");
    for (;;) {
        sleep(5);
        if (getppid() != target)
            _exit(0);
        long v = ctxt_switches(target, "voluntary_ctxt_switches");
        long nv = ctxt_switches(target, "nonvoluntary_ctxt_switches");
        say("monitor: pid %d voluntary_ctxt_switches +%ld nonvoluntary +%ld in last 5 s (total %ld)",
            (int)target, v - last, nv - lastn, v);
        last = v;
        lastn = nv;
    }
}

/* ---- echo helpers ------------------------------------------------------ */

static char linebuf[65536];
static size_t linelen = 0;
static int echoed = 0;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            int r = poll(&pf, 1, 5000);
            if (r == 0) {
                say("write: still EAGAIN after 5 s, dropping %zu bytes", n);
                return -1;
            }
            if (pf.revents & POLLHUP) {
                /* no host: poll(POLLOUT) returns POLLHUP at once, forever;
                 * retrying would spin.  Drop the data. */
                say("write: EAGAIN and POLLHUP (host not connected), dropping %zu bytes", n);
                return -1;
            }
            continue;
        }
        say("write failed: %s", w < 0 ? errname(errno) : "0 bytes");
        return -1;
    }
    return 0;
}

static void consume(int fd, const char *buf, ssize_t n)
{
    for (ssize_t i = 0; i < n; i++) {
        if (linelen < sizeof linebuf)
            linebuf[linelen++] = buf[i];
        if (buf[i] == '\n') {
            if (echoed == 0)
                say("FIRST-ECHO %zu bytes", linelen);
            echoed++;
            say("echo #%d: %.*s", echoed, (int)(linelen > 200 ? 200 : linelen - 1), linebuf);
            write_all(fd, linebuf, linelen);
            linelen = 0;
        }
    }
}

/* ---- main loops -------------------------------------------------------- */

/*
 * The agent loop.  wait_kind: 0 = SIGIO/signalfd, 1 = EPOLLET.
 * verbose: print every wake-up and context switch counts.
 */
static int run_loop(const char *dev, int wait_kind, int verbose)
{
    int oflags = O_RDWR | O_NONBLOCK | O_CLOEXEC | (async_via_open ? O_ASYNC : 0);
    int fd = open_port(dev, oflags);
    if (fd < 0)
        return 1;
    int sfd = -1, ep = -1;
    if (wait_kind == 0) {
        sfd = setup_sigio(fd);
        if (sfd < 0)
            return 1;
    } else {
        ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            say("epoll_ctl: %s", strerror(errno));
            return 1;
        }
        say("epoll armed: EPOLLIN|EPOLLET on port fd");
    }
    if (verbose)
        start_monitor(getpid());

    char buf[4096];
    int eof_reported = 0;
    long eofs = 0, waits = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            if (eof_reported)
                say("data again after EOF: read %zd bytes", n);
            eof_reported = 0;
            consume(fd, buf, n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN) {
            say("read error: %s", errname(errno));
            return 1;
        }
        if (n < 0) {
            /* host connected, nothing to read: wait for data or hang-up */
            if (wait_kind == 0) {
                struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
                int r = poll(pf, 2, -1);
                if (r < 0 && errno != EINTR)
                    say("poll: %s", strerror(errno));
                if (verbose) {
                    char a[64], b[64];
                    revents_str(pf[0].revents, a, sizeof a);
                    revents_str(pf[1].revents, b, sizeof b);
                    say("EAGAIN-wait woke: port=%s signalfd=%s", a, b);
                }
                if (pf[1].revents)
                    drain_signalfd(sfd, verbose, "while connected");
            } else {
                struct epoll_event ev;
                int r = epoll_wait(ep, &ev, 1, -1);
                if (verbose && r > 0) {
                    char a[64];
                    epev_str(ev.events, a, sizeof a);
                    say("EAGAIN-wait woke: epoll %s", a);
                }
            }
            continue;
        }
        /* n == 0: EOF, i.e. no host is connected to the chardev */
        eofs++;
        if (!eof_reported)
            say("read() = 0 (EOF): host not connected%s", echoed ? " (host went away)" : "");
        eof_reported = 1;
        if (wait_kind == 0) {
            /* Race-free: consume stale SIGIOs, then re-check the port. Any
             * SIGIO raised after this drain stays pending for the poll. */
            int stale = drain_signalfd(sfd, verbose, "stale before re-check");
            if (stale) {
                n = read(fd, buf, sizeof buf);
                if (n != 0) {
                    if (n > 0)
                        consume(fd, buf, n);
                    continue;
                }
            }
        }
        if (race_delay > 0) {
            say("race window: sleeping %d s after EOF before waiting (connect now)", race_delay);
            sleep((unsigned)race_delay);
        }
        long v0 = ctxt_switches(getpid(), "voluntary_ctxt_switches");
        long nv0 = ctxt_switches(getpid(), "nonvoluntary_ctxt_switches");
        double c0 = cpu_seconds(), tw = now();
        if (verbose)
            say("waiting (no timeout) on %s", wait_kind == 0 ? "signalfd only" : "epoll (EPOLLET)");
        waits++;
        if (wait_kind == 0) {
            struct pollfd pf = {.fd = sfd, .events = POLLIN};
            int r;
            do
                r = poll(&pf, 1, -1);
            while (r < 0 && errno == EINTR);
            long v1 = ctxt_switches(getpid(), "voluntary_ctxt_switches");
            long nv1 = ctxt_switches(getpid(), "nonvoluntary_ctxt_switches");
            double dt = now() - tw, dc = cpu_seconds() - c0;
            if (verbose)
                say("woken after %.3f s by signalfd (revents 0x%x); voluntary_ctxt_switches +%ld nonvoluntary +%ld cpu %.4f s",
                    dt, pf.revents, v1 - v0, nv1 - nv0, dc);
            drain_signalfd(sfd, verbose, "wake-up");
        } else {
            struct epoll_event ev;
            int r;
            do
                r = epoll_wait(ep, &ev, 1, -1);
            while (r < 0 && errno == EINTR);
            long v1 = ctxt_switches(getpid(), "voluntary_ctxt_switches");
            long nv1 = ctxt_switches(getpid(), "nonvoluntary_ctxt_switches");
            double dt = now() - tw, dc = cpu_seconds() - c0;
            char a[64];
            epev_str(ev.events, a, sizeof a);
            if (verbose)
                say("woken after %.3f s by epoll %s; voluntary_ctxt_switches +%ld nonvoluntary +%ld cpu %.4f s",
                    dt, a, v1 - v0, nv1 - nv0, dc);
        }
        if (verbose)
            say("EOF count %ld, waits %ld", eofs, waits);
    }
}

/* ---- observe: experiments (a) and (c) ---------------------------------- */

static void on_alarm(int s) { (void)s; }

static void timed_read(int fd, const char *label)
{
    char buf[256];
    double t = now();
    ssize_t n = read(fd, buf, sizeof buf);
    int e = errno;
    double dt = (now() - t) * 1e6;
    if (n < 0)
        say("%s: read() = -1 %s after %.0f us", label, errname(e), dt);
    else
        say("%s: read() = %zd after %.0f us%s%.*s", label, n, dt, n > 0 ? " data: " : "",
            (int)(n > 0 ? n - (buf[n - 1] == '\n') : 0), buf);
}

static short timed_poll(int fd, short events, int timeout_ms, const char *label)
{
    struct pollfd pf = {.fd = fd, .events = events};
    double t = now();
    int r = poll(&pf, 1, timeout_ms);
    double dt = (now() - t) * 1e3;
    char a[64];
    revents_str(pf.revents, a, sizeof a);
    say("%s: poll(events=0x%x, %d ms) = %d revents=%s after %.1f ms", label, events, timeout_ms, r, a, dt);
    return pf.revents;
}

static void set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

static void spin_test(int fd, const char *label)
{
    /* how many poll(POLLIN, -1) calls complete in one second? */
    long count = 0;
    short last = 0;
    double c0 = cpu_seconds(), t = now();
    long v0 = ctxt_switches(getpid(), "voluntary_ctxt_switches");
    while (now() - t < 1.0) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        alarm(3); /* safety: if it blocks, we learn that too */
        int r = poll(&pf, 1, -1);
        alarm(0);
        if (r < 0) {
            say("%s: poll(-1) interrupted by alarm after %ld returns: it BLOCKS", label, count);
            return;
        }
        last = pf.revents;
        count++;
    }
    char a[64];
    revents_str(last, a, sizeof a);
    say("%s: poll(POLLIN, timeout -1) returned %ld times in 1 s (revents=%s), cpu %.3f s, voluntary_ctxt_switches +%ld => a poll loop SPINS",
        label, count, a, cpu_seconds() - c0, ctxt_switches(getpid(), "voluntary_ctxt_switches") - v0);
    /* and read() */
    count = 0;
    c0 = cpu_seconds();
    t = now();
    char buf[64];
    long zeros = 0;
    while (now() - t < 1.0) {
        alarm(3);
        ssize_t n = read(fd, buf, sizeof buf);
        alarm(0);
        if (n < 0 && errno == EINTR) {
            say("%s: blocking read() interrupted by alarm: it BLOCKS", label);
            return;
        }
        if (n == 0)
            zeros++;
        count++;
    }
    say("%s: read() returned %ld times in 1 s (%ld of them 0), cpu %.3f s", label, count, zeros,
        cpu_seconds() - c0);
}

static int wait_host(int fd, double timeout)
{
    double t = now();
    while (now() - t < timeout) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        poll(&pf, 1, 0);
        if (!(pf.revents & POLLHUP))
            return 1;
        usleep(20 * 1000);
    }
    return 0;
}

static int run_observe(const char *dev)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART: blocking calls get EINTR */
    sigaction(SIGALRM, &sa, NULL);

    int fd = open_port(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 1;
    int fd2 = open(dev, O_RDWR);
    say("A0 second open() of the same port while open: %s", fd2 < 0 ? errname(errno) : "succeeded");
    if (fd2 >= 0)
        close(fd2);

    say("STEP A1 no host connected, blocking fd");
    timed_read(fd, "A1 blocking read #1");
    timed_read(fd, "A1 blocking read #2");
    timed_poll(fd, POLLIN, 2000, "A1 poll IN");
    timed_poll(fd, POLLIN | POLLOUT, 2000, "A1 poll IN|OUT");
    timed_poll(fd, POLLOUT, 2000, "A1 poll OUT only");
    spin_test(fd, "A1 spin");

    say("STEP A2 no host connected, O_NONBLOCK fd");
    set_nonblock(fd, 1);
    timed_read(fd, "A2 nonblocking read");
    timed_poll(fd, POLLIN, 2000, "A2 poll IN");
    {
        /* epoll level-triggered vs edge-triggered, still no host */
        int ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        struct epoll_event out;
        double t = now();
        int r1 = epoll_wait(ep, &out, 1, 1000);
        char a[64] = "";
        if (r1 > 0)
            epev_str(out.events, a, sizeof a);
        say("A2 epoll EPOLLIN|EPOLLET #1: %d %s after %.1f ms", r1, a, (now() - t) * 1e3);
        t = now();
        int r2 = epoll_wait(ep, &out, 1, 1000);
        say("A2 epoll EPOLLIN|EPOLLET #2: %d after %.1f ms (0 = it would block: no spin with ET)", r2,
            (now() - t) * 1e3);
        close(ep);
    }

    say("STEP C1 guest write with no host connected");
    {
        const char *m = "written-while-host-disconnected-nonblock\n";
        ssize_t w = write(fd, m, strlen(m));
        say("C1 nonblocking write() = %zd %s", w, w < 0 ? errname(errno) : "");
        set_nonblock(fd, 0);
        const char *m2 = "written-while-host-disconnected-blocking\n";
        double t = now();
        alarm(2);
        w = write(fd, m2, strlen(m2));
        int e = errno;
        alarm(0);
        say("C1 blocking write() = %zd %s after %.3f s (alarm at 2 s)", w, w < 0 ? errname(e) : "", now() - t);
    }

    say("STEP C2 blocking write started with no host; host connects while it blocks (HOST-CONNECT-NOW)");
    {
        const char *m = "blocked-write-released-by-connect\n";
        double t = now();
        alarm(30);
        ssize_t w = write(fd, m, strlen(m));
        int e = errno;
        alarm(0);
        say("C2 blocking write() = %zd %s after %.3f s", w, w < 0 ? errname(e) : "", now() - t);
    }
    if (!wait_host(fd, 30)) {
        say("host never connected; giving up");
        return 1;
    }
    say("STEP A3 host connected, no data");
    set_nonblock(fd, 1);
    timed_read(fd, "A3 nonblocking read");
    timed_poll(fd, POLLIN, 1000, "A3 poll IN");
    timed_poll(fd, POLLOUT, 1000, "A3 poll OUT");
    set_nonblock(fd, 0);
    alarm(2);
    timed_read(fd, "A3 blocking read (alarm 2 s)");
    alarm(0);

    say("STEP A4 HOST-SEND-AND-CLOSE: host sends a line then disconnects; guest reads 3 s later");
    sleep(3);
    timed_poll(fd, POLLIN, 0, "A4 poll after host sent+closed");
    timed_read(fd, "A4 read #1");
    timed_read(fd, "A4 read #2");

    say("STEP C3 guest closes port; host reconnects and sends while guest closed (HOST-SEND-WHILE-CLOSED)");
    close(fd);
    sleep(4);
    fd = open_port(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    timed_poll(fd, POLLIN, 3000, "C3 poll after reopen");
    timed_read(fd, "C3 read after reopen");
    timed_read(fd, "C3 read after reopen #2");

    say("STEP C4 host stays connected but stops reading; guest writes until EAGAIN");
    {
        static char big[4096];
        memset(big, 'x', sizeof big);
        long total = 0;
        double t = now();
        for (int i = 0; i < 100000; i++) {
            ssize_t w = write(fd, big, sizeof big);
            if (w < 0) {
                say("C4 nonblocking write returned -1 %s after %ld bytes (%.3f s)", errname(errno), total,
                    now() - t);
                break;
            }
            total += w;
        }
        timed_poll(fd, POLLOUT, 1000, "C4 poll OUT when full");
    }
    say("OBSERVE-DONE");
    return 0;
}

/* ---- lateopen: data the host wrote before the guest opened the port ---- */

static int run_lateopen(const char *dev)
{
    say("LATEOPEN waiting %d s before open (host may connect and send now)", open_delay);
    sleep((unsigned)open_delay);
    int fd = open_port(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 1;
    double t = now();
    char all[8192];
    size_t got = 0;
    while (now() - t < 4.0) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        poll(&pf, 1, 200);
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0 && got + (size_t)n < sizeof all) {
            memcpy(all + got, buf, (size_t)n);
            got += (size_t)n;
        }
        if (n == 0)
            usleep(200 * 1000);
    }
    for (char *p = all, *e; p < all + got; p = e + 1) {
        e = memchr(p, '\n', (size_t)(all + got - p));
        if (!e)
            e = all + got;
        say("LATEOPEN received line: %.*s", (int)(e - p), p);
    }
    say("LATEOPEN received %zu bytes within 4 s of open", got);
    write_all(fd, "lateopen-done\n", 14);
    say("LATEOPEN-DONE");
    return 0;
}

int main(int argc, char **argv)
{
    clock_gettime(CLOCK_MONOTONIC, &t0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--mode=", 7) == 0)
            mode = a + 7;
        else if (strncmp(a, "--race-delay=", 13) == 0)
            race_delay = atoi(a + 13);
        else if (strncmp(a, "--open-delay=", 13) == 0)
            open_delay = atoi(a + 13);
        else if (strcmp(a, "--setsig") == 0)
            use_setsig = 1;
        else if (strcmp(a, "--async-open") == 0)
            async_via_open = 1;
        else if (strncmp(a, "--port=", 7) == 0)
            port_name = a + 7;
        else if (strncmp(a, "--flag=", 7) == 0)
            shutdown_flag = a + 7;
    }
    struct timespec up;
    clock_gettime(CLOCK_BOOTTIME, &up);
    say("port-probe pid %d mode=%s race-delay=%d setsig=%d async-open=%d boottime=%.3f", (int)getpid(), mode,
        race_delay, use_setsig, async_via_open, up.tv_sec + up.tv_nsec / 1e9);
    signal(SIGPIPE, SIG_IGN);
    char dev[300];
    if (find_port(dev, sizeof dev) < 0)
        return 2;
    if (strcmp(mode, "echo") == 0)
        return run_loop(dev, 0, 0);
    if (strcmp(mode, "sigio") == 0)
        return run_loop(dev, 0, 1);
    if (strcmp(mode, "epollet") == 0)
        return run_loop(dev, 1, 1);
    if (strcmp(mode, "observe") == 0)
        return run_observe(dev);
    if (strcmp(mode, "lateopen") == 0)
        return run_lateopen(dev);
    if (strcmp(mode, "shutdown") == 0) {
        pid_t p = fork();
        if (p == 0) {
            execl("/sbin/shutdown", "shutdown", shutdown_flag, "+0", "hypervisor initiated shutdown",
                  (char *)NULL);
            _exit(127);
        }
        int st = 0;
        waitpid(p, &st, 0);
        say("/sbin/shutdown %s exited with status %d; now waiting to be killed", shutdown_flag,
            WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        for (;;)
            pause();
    }
    say("unknown mode %s", mode);
    return 2;
}
