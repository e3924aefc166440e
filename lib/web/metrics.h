/*
 * What /metrics reports of the requests served: counters in a page of
 * shared memory ("<db>-metrics", beside the database), which every worker
 * of a program adds to with relaxed atomic additions (no lock on the hot
 * path) and a scrape reads and sums. They survive workers (a killed one's
 * counts stay) and are lost with the file: Prometheus takes a reset as a
 * restart.
 *
 * Per route (the program's route table, by index): requests by status
 * class and a latency histogram. Per program: worker starts and the live
 * workers (by their pid), respawns (a worker that took the place of one
 * that died without closing), and the program's own counters
 * (metrics_add).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define METRICS_MAX_ROUTES	256	/* routes past it count as "other" */
#define METRICS_BUCKETS	12	/* upper bounds in metrics_bounds_us */
#define METRICS_COUNTERS	16	/* the program's own counters */
#define METRICS_WORKERS	64	/* worker slots */

/* The histogram's upper bounds, in microseconds (the last is +Inf). */
extern const int64_t metrics_bounds_us[METRICS_BUCKETS];

/* One route's figures, as a scrape reads them. */
struct metrics_route {
	uint64_t	 classes[6];	/* by status / 100: [1] 1xx ... [5] 5xx; [0] other */
	uint64_t	 buckets[METRICS_BUCKETS]; /* not cumulative */
	uint64_t	 sum_us;
};

/* Maps path (created 0600 if needed, sized for METRICS_MAX_ROUTES) and
 * claims a worker slot for this process (after closing the one it had). A page made for another route
 * table (its fingerprint differs) is zeroed first. Returns 0, or -1 with
 * a line on stderr: the program then runs without metrics (every call
 * below does nothing). */
int	 metrics_open(const char *path, uint64_t fingerprint);
/* Gives this process's worker slot back (a clean exit) and unmaps. */
void	 metrics_close(void);
/* Counts a request of route index route (-1: none matched) that answered
 * status after us microseconds. */
void	 metrics_request(int route, int status, int64_t us);
/* Adds n to the program's counter i (< METRICS_COUNTERS). */
void	 metrics_add(unsigned i, uint64_t n);
/* Reads route index route's figures into *out; 0, or -1 without a page. */
int	 metrics_route(int route, struct metrics_route *out);
/* The program's counter i, or 0. */
uint64_t metrics_counter(unsigned i);
/* Worker figures: those alive now (their pid answers), started since the
 * page was made, and respawned (started in the place of a dead one). */
void	 metrics_workers(unsigned *alive, uint64_t *started, uint64_t *respawned);
/* Whether addr (REMOTE_ADDR) is this machine's loopback: 127.0.0.1 or ::1
 * exactly (not 127.0.0.0/8: a peer on another 127 address is outside). */
int	 metrics_loopback(const char *addr);

#endif
