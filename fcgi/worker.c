/*
 * platform-worker: the background worker. Every second it queues the
 * recurring jobs that are due (billing every minute) and runs every due job
 * of the durable job table (lib/core/jobs.c), then waits. SIGTERM lets the
 * current job finish, then it exits.
 *
 *   platform-worker [--pidfile FILE]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "background.h"
#include "clock.h"
#include "db.h"
#include "jobs.h"
#include "json.h"
#include "platform.h"
#include "backends.h"
#include "probe.h"
#include "shop.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char *argv[])
{
	struct db *db = NULL;
	const char *pidfile = NULL;
	char who[64];

	if (argc == 3 && strcmp(argv[1], "--pidfile") == 0)
		pidfile = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: platform-worker [--pidfile FILE]\n");
		return 2;
	}
	char why[300];
	if (config_load(why, sizeof(why)) != 0) {
		fprintf(stderr, "platform-worker: configuration: %s\n", why);
		return 1;
	}
	json_init();
	if (msg_use(platform_langs, platform_nlangs, why, sizeof(why)) != 0) {
		fprintf(stderr, "platform-worker: message catalogue: %s\n", why);
		return 1;
	}
	/* Shops are deployed with the shop program's schema and checked
	 * through FastCGI before nginx sends them traffic. */
	struct deploy_env denv = { shop_sql, fcgi_probe };
	deploy_init(&denv);
	if (db_open(config()->db_path, &db) != ERR_OK || db_migrate(db, schema_sql) != ERR_OK) {
		fprintf(stderr, "platform-worker: cannot open %s\n", config()->db_path);
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	snprintf(who, sizeof(who), "worker-%d", (int)getpid());
	fprintf(stderr, "platform-worker[%d]: running\n", (int)getpid());
	/* Scheduling and jobs once a second; and as soon as a job is queued
	 * (a shop to deploy is taken within 50 ms): each write anywhere moves
	 * the change stamp, and a read (no lock) tells whether a job is due. */
	uint64_t seen = 0;
	int64_t last = 0;
	while (!stopping) {
		int64_t now = clock_now_ms();
		uint64_t stamp = db_change_stamp(db);
		int tick = now - last >= 1000;
		if (tick || (stamp != seen && jobs_due(db, now))) {
			if (tick && background_schedule(db, now) != ERR_OK)
				fprintf(stderr, "platform-worker: cannot schedule jobs\n");
			else if (jobs_drain(db, background_jobs, nbackground_jobs, who, now,
			    1000) < 0)
				fprintf(stderr, "platform-worker: job table error\n");
			if (tick)
				last = now;
		}
		seen = stamp;
		struct timespec ts = { 0, 50000000 };
		while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	fprintf(stderr, "platform-worker[%d]: stopped\n", (int)getpid());
	db_close(db);
	if (pidfile)
		unlink(pidfile);
	return 0;
}
