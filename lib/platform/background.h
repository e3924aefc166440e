/*
 * The background worker's jobs: what each kind does, and the schedule of
 * recurring ones (billing every minute). fcgi/worker.c runs them; tests
 * run the same table in-process.
 */
#ifndef BACKGROUND_H
#define BACKGROUND_H

#include <stddef.h>
#include <stdint.h>

#include "jobs.h"

extern const struct job_kind background_jobs[];
extern const size_t nbackground_jobs;

/* Queues the recurring jobs due at now (each once per period, by unique
 * key) and forgets finished jobs older than a week. */
enum err	 background_schedule(struct db *db, int64_t now);

#endif
