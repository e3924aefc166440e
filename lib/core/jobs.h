/*
 * Durable background jobs over the jobs table. A worker claims a due job
 * for a lease; the job's effect and its "done" mark commit in one
 * transaction, so a job is applied once; a worker that dies mid-job leaves
 * a claim that expires, and the job is claimed again. Failures are retried
 * with a growing delay, up to max_attempts.
 */
#ifndef JOBS_H
#define JOBS_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "db.h"
#include "err.h"

#define JOBS_LEASE_MS	(5 * 60 * 1000)

struct job {
	int64_t	 id;
	char	 kind[64];
	cJSON	*payload;	/* owned: jobs_release() frees it */
	int	 attempts;	/* including this one */
	int	 max_attempts;
};

/* What a job kind does. atomic: run inside the transaction that marks the
 * job done (its writes and the mark commit together); otherwise the handler
 * manages its own transactions and must be idempotent (billing.run). */
struct job_kind {
	const char	*kind;
	int		 atomic;
	enum err	(*run)(struct db *db, const struct job *job, int64_t now);
};

/* Queues a job at run_at; with a unique_key, a second job of that key is
 * ignored. Returns ERR_OK or ERR_DB. */
enum err	 jobs_enqueue(struct db *db, const char *kind, const char *unique_key,
		    const char *payload, int64_t run_at);
/* Claims the next due job for worker `who`; returns ERR_OK with *got set
 * (0 when none is due). */
enum err	 jobs_claim(struct db *db, const char *who, int64_t now,
		    struct job *job, int *got);
/* Runs a claimed job with its kind's handler and records the outcome. */
enum err	 jobs_run(struct db *db, const struct job_kind *kinds, size_t nkinds,
		    struct job *job, int64_t now);
/* Frees what jobs_claim() allocated. */
void		 jobs_release(struct job *job);
/* Returns 1 when a job is due at now (a read: no lock taken), else 0. */
int		 jobs_due(struct db *db, int64_t now);
/* Claims and runs due jobs until none is left or max have run; returns
 * how many ran, or -1 on a database error. */
int		 jobs_drain(struct db *db, const struct job_kind *kinds, size_t nkinds,
		    const char *who, int64_t now, int max);

#endif
