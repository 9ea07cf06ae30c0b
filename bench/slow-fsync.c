/* Loaded with LD_PRELOAD by bench/compare: every fsync and fdatasync of the process first waits
 * SLOW_FSYNC_US microseconds, as a Raspberry Pi's SD card makes it wait, so group commit is
 * measured where the box's storage would bound it (this machine's disk syncs in ~0.1 ms). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void wait_like_an_sd_card(void) {
    const char *s = getenv("SLOW_FSYNC_US");
    long us = s ? atol(s) : 2000;
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    wait_like_an_sd_card();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    wait_like_an_sd_card();
    return real(fd);
}
