/* Loaded with LD_PRELOAD by bench/compare: every fsync and fdatasync of the process first waits
 * SLOW_FSYNC_US microseconds, as a Raspberry Pi's SD card makes it wait, so group commit is
 * measured where the box's storage would bound it (this machine's disk syncs in ~0.1 ms). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

/* Waits like an SD card, then syncs with libc's own `name` (looked up each time: a lookup
 * costs microseconds beside the milliseconds waited). */
static int slowly(const char *name, int fd) {
    const char *s = getenv("SLOW_FSYNC_US");
    long us = s ? atol(s) : 2000;
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, name);
    return real(fd);
}

int fsync(int fd) { return slowly("fsync", fd); }

int fdatasync(int fd) { return slowly("fdatasync", fd); }
