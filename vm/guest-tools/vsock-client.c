/*
 * qga-vsock-client: the VM suite's vsock client (test-only; built static against musl by
 * vm/e2e.sh with scripts/musl-cc, the agent's own C compiler, and copied into the busybox
 * guest, which has no vsock tool).
 *
 *   qga-vsock-client UID CID PORT REQUEST
 *
 * Drops to UID (and GID = UID, no supplementary groups) before it touches the socket, so the
 * connection is an unprivileged user's, connects to CID:PORT, sends REQUEST and a newline,
 * and prints on stdout, one line each:
 *   uid N          the user it runs as
 *   connected      connect(2) succeeded (or "connect failed: ERROR", exit 2)
 *   reply TEXT     the first line the peer sent back (exit 0)
 *   closed         the peer closed the connection without sending a byte (end of file or
 *                  a reset; exit 3)
 *   timeout        nothing within 5 s (exit 4)
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s UID CID PORT REQUEST\n", argv[0]);
        return 64;
    }
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0) {
        printf("cannot drop to uid %u: %s\n", (unsigned)uid, strerror(errno));
        return 1;
    }
    printf("uid %u\n", (unsigned)getuid());

    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    struct sockaddr_vm address;
    memset(&address, 0, sizeof address);
    address.svm_family = AF_VSOCK;
    address.svm_cid = (unsigned)strtoul(argv[2], NULL, 10);
    address.svm_port = (unsigned)strtoul(argv[3], NULL, 10);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        printf("connect failed: %s\n", strerror(errno));
        return 2;
    }
    printf("connected\n");
    fflush(stdout);

    size_t length = strlen(argv[4]);
    char *request = malloc(length + 1);
    memcpy(request, argv[4], length);
    request[length] = '\n';
    /* A peer that already closed refuses the write (EPIPE, and no SIGPIPE with
       MSG_NOSIGNAL): what it sent back still decides. */
    (void)send(fd, request, length + 1, MSG_NOSIGNAL);

    char reply[65536];
    size_t used = 0;
    while (used < sizeof reply - 1) {
        struct pollfd ready = {.fd = fd, .events = POLLIN};
        if (poll(&ready, 1, 5000) <= 0) {
            printf("timeout\n");
            return 4;
        }
        ssize_t n = read(fd, reply + used, sizeof reply - 1 - used);
        if (n <= 0) {
            if (used == 0) {
                printf("closed\n");
                return 3;
            }
            break;
        }
        used += (size_t)n;
        if (memchr(reply, '\n', used)) break;
    }
    reply[used] = 0;
    char *newline = strchr(reply, '\n');
    if (newline) *newline = 0;
    printf("reply %s\n", reply);
    return 0;
}
