/* What the Embedded Swift standard library expects from the platform and the C library does not
 * give (or gives only in recent versions). Linked into the shipped binary only: normal builds
 * get these from the full Swift runtime and glibc. */
#define _GNU_SOURCE
#include <locale.h>
#include <stdlib.h>

/* Double(String): strtod in the C locale, whatever LC_NUMERIC says. Returns where parsing
 * stopped (the runtime checks that the whole text was consumed). */
const char *_swift_stdlib_strtod_clocale(const char *text, double *result) {
    static locale_t c_locale;
    if (!c_locale) c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    char *end = (char *)text;
    *result = c_locale ? strtod_l(text, &end, c_locale) : strtod(text, &end);
    return end;
}

/* The Embedded standard library seeds its hashing from arc4random_buf, which glibc has only
 * since 2.36 and musl not at all: defined here over CLinux's random bytes (getrandom(2), or
 * /dev/urandom on kernels before 3.17). */
#include "CLinux.h"

void arc4random_buf(void *buffer, size_t length) {
    /* Hash seeds need no cryptographic strength: early at boot, when getrandom would wait for the
     * kernel's entropy pool (minutes on old kernels without jitter entropy), /dev/urandom now. */
    if (clinux_random_bytes(buffer, length, GRND_NONBLOCK) == (ssize_t)length) return;
    if (clinux_random_bytes_using(buffer, length, 0, NULL, "/dev/urandom") == (ssize_t)length) return;
    abort(); /* no randomness at all: nothing sensible to go on with */
}

/* The C entry point of the shipped binary. Embedded Swift has no CommandLine, so argv is saved
 * for ThisProcess.arguments before the executable's top-level code (compiled as qga_swift_main,
 * scripts/build-embedded.sh) starts. */
int qga_swift_main(int argc, char **argv);

int main(int argc, char **argv) {
    clinux_set_arguments(argc, argv);
    return qga_swift_main(argc, argv);
}
