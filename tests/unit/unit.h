/*
 * Shared helpers for the host unit tests (cmocka).  Include this first in every test file: it
 * sets the POSIX feature macro before any system header is seen.
 */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A region of fake physical memory backed by host memory. */
struct arena {
	unsigned char *mem;
	uint64_t base; /* physical address of mem[0] */
	uint64_t size;
};

static inline void arena_init(struct arena *a, uint64_t base, uint64_t size)
{
	a->mem = aligned_alloc(4096, size);
	assert_non_null(a->mem);
	memset(a->mem, 0xa5, size); /* dirty, so that zeroing is observable */
	a->base = base;
	a->size = size;
}

static inline void arena_fini(struct arena *a)
{
	free(a->mem);
	a->mem = NULL;
}

/* ptr accessor: fails the test if the code touches memory outside the arena. */
static inline void *arena_ptr(void *ctx, uint64_t pa)
{
	struct arena *a = ctx;
	if (pa < a->base || pa >= a->base + a->size)
		fail_msg("physical address %#llx outside the arena [%#llx, %#llx)",
			 (unsigned long long)pa, (unsigned long long)a->base,
			 (unsigned long long)(a->base + a->size));
	return a->mem + (pa - a->base);
}

enum child_result { CHILD_OK, CHILD_DIED, CHILD_TIMEOUT };

/*
 * Runs fn(arg, out, outlen) in a forked child and copies `out` back.  For code under test that
 * may hang or end the process (a sanitizer report): the parent turns that into an ordinary
 * test failure.  fn must not use cmocka assertions.
 */
static inline enum child_result run_in_child(void (*fn)(void *arg, char *out, size_t outlen),
					     void *arg, char *out, size_t outlen,
					     unsigned timeout_ms)
{
	int fds[2];
	assert_true(outlen <= 4096); /* fits in a pipe without blocking the child */
	memset(out, 0, outlen);
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		fn(arg, out, outlen);
		ssize_t w = write(fds[1], out, outlen);
		_exit(w == (ssize_t)outlen ? 0 : 3);
	}
	close(fds[1]);
	int status = 0;
	unsigned waited = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		assert_true(r == 0 || (r < 0 && errno == EINTR));
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(fds[0]);
			return CHILD_TIMEOUT;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
		waited += 5;
	}
	size_t got = 0;
	while (got < outlen) {
		ssize_t n = read(fds[0], out + got, outlen - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != outlen)
		return CHILD_DIED;
	return CHILD_OK;
}

/* Fails with a readable message unless the child finished normally. */
#define assert_child_ok(r)                                                                         \
	do {                                                                                       \
		enum child_result r_ = (r);                                                        \
		if (r_ == CHILD_TIMEOUT)                                                           \
			fail_msg("the code under test did not finish (endless loop?)");            \
		if (r_ == CHILD_DIED)                                                              \
			fail_msg("the code under test ended the process (sanitizer report on "     \
				 "stderr)");                                                        \
	} while (0)

/* Directory of the build products (the Makefile's BUILD), for tests on real images. */
static inline const char *unit_build_dir(void)
{
	const char *b = getenv("UNIT_BUILD_DIR");
	return b && *b ? b : "build";
}

/* Reads a whole file; returns NULL (and *size 0) if it cannot be read. */
static inline unsigned char *read_whole_file(const char *path, size_t *size)
{
	*size = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	*size = len;
	return buf;
}

#endif
