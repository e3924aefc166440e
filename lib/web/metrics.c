#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "metrics.h"

#define METRICS_MAGIC	0x6d65747269637331ull	/* "metrics1" */

const int64_t metrics_bounds_us[METRICS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, INT64_MAX,
};

struct page {
	uint64_t	 magic;
	uint64_t	 fingerprint;	/* of the route table it counts for */
	uint64_t	 started;	/* workers started */
	uint64_t	 respawned;	/* ... in the place of a dead one */
	int32_t		 workers[METRICS_WORKERS];	/* pids, 0: free */
	uint64_t	 counters[METRICS_COUNTERS];
	/* The routes, then one for requests no route matched. */
	struct metrics_route routes[METRICS_MAX_ROUTES + 1];
};

static struct page *page;
static int slot = -1;

static int
alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Takes a worker slot: one a dead worker left (a respawn), else a free
 * one. Several workers start at once: a slot is taken by compare and swap. */
static void
claim_slot(void)
{
	int32_t me = (int32_t)getpid();
	for (int pass = 0; pass < 2 && slot < 0; pass++)
		for (int i = 0; i < METRICS_WORKERS && slot < 0; i++) {
			int32_t was = __atomic_load_n(&page->workers[i], __ATOMIC_ACQUIRE);
			if (pass == 0 ? (was == 0 || alive(was)) : was != 0)
				continue;
			if (__atomic_compare_exchange_n(&page->workers[i], &was, me, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				slot = i;
				if (pass == 0)
					__atomic_add_fetch(&page->respawned, 1, __ATOMIC_RELAXED);
			}
		}
	__atomic_add_fetch(&page->started, 1, __ATOMIC_RELAXED);
}

int
metrics_open(const char *path, uint64_t fingerprint)
{
	metrics_close();
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "metrics: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Allocated, not sparse: touching a hole of the mapping on a full disk
	 * would kill the worker (SIGBUS). */
	if (posix_fallocate(fd, 0, sizeof(struct page)) != 0) {
		fprintf(stderr, "metrics: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, sizeof(struct page), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "metrics: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	page = p;
	/* A new page, or one another route table counted in: start afresh,
	 * once (the first worker of a generation, under the file's lock). */
	if (flock(fd, LOCK_EX) == 0) {
		if (page->magic != METRICS_MAGIC || page->fingerprint != fingerprint) {
			memset(page, 0, sizeof(*page));
			page->fingerprint = fingerprint;
			__atomic_store_n(&page->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
		}
		flock(fd, LOCK_UN);
	}
	close(fd);
	claim_slot();
	return 0;
}

void
metrics_close(void)
{
	if (page == NULL)
		return;
	if (slot >= 0)
		__atomic_store_n(&page->workers[slot], 0, __ATOMIC_RELEASE);
	munmap(page, sizeof(*page));
	page = NULL;
	slot = -1;
}

void
metrics_request(int route, int status, int64_t us)
{
	if (page == NULL)
		return;
	struct metrics_route *r = &page->routes[route < 0 ||
	    route >= METRICS_MAX_ROUTES ? METRICS_MAX_ROUTES : route];
	int cls = status >= 100 && status < 600 ? status / 100 : 0;
	int b = 0;
	while (b < METRICS_BUCKETS - 1 && us > metrics_bounds_us[b])
		b++;
	__atomic_add_fetch(&r->classes[cls], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->sum_us, (uint64_t)(us > 0 ? us : 0), __ATOMIC_RELAXED);
}

void
metrics_add(unsigned i, uint64_t n)
{
	if (page && i < METRICS_COUNTERS)
		__atomic_add_fetch(&page->counters[i], n, __ATOMIC_RELAXED);
}

int
metrics_route(int route, struct metrics_route *out)
{
	memset(out, 0, sizeof(*out));
	if (page == NULL)
		return -1;
	const struct metrics_route *r = &page->routes[route < 0 ||
	    route >= METRICS_MAX_ROUTES ? METRICS_MAX_ROUTES : route];
	for (int i = 0; i < 6; i++)
		out->classes[i] = __atomic_load_n(&r->classes[i], __ATOMIC_RELAXED);
	for (int i = 0; i < METRICS_BUCKETS; i++)
		out->buckets[i] = __atomic_load_n(&r->buckets[i], __ATOMIC_RELAXED);
	out->sum_us = __atomic_load_n(&r->sum_us, __ATOMIC_RELAXED);
	return 0;
}

uint64_t
metrics_counter(unsigned i)
{
	return page && i < METRICS_COUNTERS ?
	    __atomic_load_n(&page->counters[i], __ATOMIC_RELAXED) : 0;
}

void
metrics_workers(unsigned *alive_now, uint64_t *started, uint64_t *respawned)
{
	*alive_now = 0;
	*started = *respawned = 0;
	if (page == NULL)
		return;
	for (int i = 0; i < METRICS_WORKERS; i++)
		if (alive(__atomic_load_n(&page->workers[i], __ATOMIC_ACQUIRE)))
			(*alive_now)++;
	*started = __atomic_load_n(&page->started, __ATOMIC_RELAXED);
	*respawned = __atomic_load_n(&page->respawned, __ATOMIC_RELAXED);
}

int
metrics_loopback(const char *addr)
{
	return addr && (strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0);
}
