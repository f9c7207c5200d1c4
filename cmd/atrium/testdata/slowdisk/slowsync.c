// slowsync adds SLOW_FSYNC_US microseconds (default 2000) to every fsync and fdatasync of the
// process it is preloaded into: a local MariaDB then flushes as slowly as one on network block
// storage, which is what makes a hot row's lock expensive (see run.sh).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static int delay(void) {
	const char *s = getenv("SLOW_FSYNC_US");
	return s ? atoi(s) : 2000;
}

int fsync(int fd) {
	static int (*real)(int);
	if (!real) real = dlsym(RTLD_NEXT, "fsync");
	usleep(delay());
	return real(fd);
}

int fdatasync(int fd) {
	static int (*real)(int);
	if (!real) real = dlsym(RTLD_NEXT, "fdatasync");
	usleep(delay());
	return real(fd);
}
