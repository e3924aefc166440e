#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "background.h"
#include "backends.h"
#include "clock.h"
#include "config.h"
#include "invoices.h"
#include "mem.h"
#include "mailer.h"
#include "provider.h"
#include "subscriptions.h"
#include "tickets.h"

/* billing.run: every billing step due now. Each step is its own
 * transaction and checks again what is due, so a run cut short and run
 * again bills nothing twice. */
static enum err
job_billing_run(struct db *db, const struct job *job, int64_t now)
{
	struct seller sel;
	(void)job;
	seller_from_config(&sel);
	return billing_run(db, &sel, now) < 0 ? ERR_DB : ERR_OK;
}

/* tickets.autoclose: resolved tickets close themselves after 7 days. */
static enum err
job_tickets_autoclose(struct db *db, const struct job *job, int64_t now)
{
	(void)job;
	return tickets_autoclose(db, now) < 0 ? ERR_DB : ERR_OK;
}

/* email.send: the outbox through SMTP, when SMTP_URL is set. Each message
 * is recorded as it goes, so the job itself manages its transactions. */
static enum err
job_email_send(struct db *db, const struct job *job, int64_t now)
{
	struct mailer m;
	(void)job;
	if (!mailer_from_config(&m))
		return ERR_OK;
	return mailer_send_due(db, &m, now, 500) < 0 ? ERR_DB : ERR_OK;
}

/* backend.deploy: a merchant backend's deployment, in logged steps (it
 * records its own outcome: a failed deployment is a finished job). */
static enum err
job_backend_deploy(struct db *db, const struct job *job, int64_t now)
{
	const cJSON *d = cJSON_GetObjectItem(job->payload, "deployment");
	if (!cJSON_IsNumber(d))
		return ERR_INTERNAL;
	return deploy_run(db, (int64_t)d->valuedouble, now);
}

/* backends.probe: every running shop's health, through nginx. */
static enum err
job_backends_probe(struct db *db, const struct job *job, int64_t now)
{
	(void)job;
	return monitor_probe_all(db, now) < 0 ? ERR_DB : ERR_OK;
}

/* stripe.reprice: a plan's Stripe subscriptions onto its new price, from
 * their next period. Network calls, no transaction: each subscription is
 * read first, so a run again moves nothing twice. */
static enum err
job_stripe_reprice(struct db *db, const struct job *job, int64_t now)
{
	struct stripe s;
	(void)now;
	const cJSON *plan = cJSON_GetObjectItem(job->payload, "plan");
	if (!cJSON_IsNumber(plan))
		return ERR_INTERNAL;
	if (!stripe_from_config(&s))
		return ERR_OK;
	return provider_reprice(db, &s, (int64_t)plan->valuedouble);
}

/* db.backup: the database copied online into PLATFORM_BACKUP_DIR as
 * platform-<UTC time>.db; only the newest PLATFORM_BACKUP_KEEP stay. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum err
job_db_backup(struct db *db, const struct job *job, int64_t now)
{
	const struct config *cfg = config();
	char path[CONFIG_PATH + 64], stamp[24], why[512];
	(void)job;
	if (mkdir(cfg->backup_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "backup: %s: %s\n", cfg->backup_dir, strerror(errno));
		return ERR_INTERNAL;
	}
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(path, sizeof(path), "%s/platform-%s.db", cfg->backup_dir, stamp);
	if (db_backup(db, path, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "backup: %s: %s\n", path, why);
		return ERR_INTERNAL;
	}
	/* The oldest beyond the count go (the names sort by time). */
	DIR *d = opendir(cfg->backup_dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "platform-", 9) != 0 || len < 12 ||
		    strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (i + (size_t)cfg->backup_keep < n) {
			snprintf(path, sizeof(path), "%s/%s", cfg->backup_dir, names[i]);
			unlink(path);
		}
		free(names[i]);
	}
	free(names);
	return ERR_OK;
}

const struct job_kind background_jobs[] = {
	{ "billing.run", 0, job_billing_run },
	{ "tickets.autoclose", 1, job_tickets_autoclose },
	{ "email.send", 0, job_email_send },
	{ "backend.deploy", 0, job_backend_deploy },
	{ "backends.probe", 0, job_backends_probe },
	{ "stripe.reprice", 0, job_stripe_reprice },
	{ "db.backup", 0, job_db_backup },
};
const size_t nbackground_jobs = sizeof(background_jobs) / sizeof(background_jobs[0]);

enum stmt_background {
	STMT_BG_FORGET,
	STMT_BG__MAX
};

static const char *const stmts[STMT_BG__MAX] = {
	/* Done jobs are kept a week, for the operator's eyes. */
	[STMT_BG_FORGET] = "DELETE FROM jobs WHERE state = 'done' AND updated_ms < ?",
};

enum err
background_schedule(struct db *db, int64_t now)
{
	char key[64];
	snprintf(key, sizeof(key), "billing.run:%lld", (long long)(now / 60000));
	enum err rc = jobs_enqueue(db, "billing.run", key, NULL, now);
	if (rc != ERR_OK)
		return rc;
	snprintf(key, sizeof(key), "tickets.autoclose:%lld", (long long)(now / 60000));
	if ((rc = jobs_enqueue(db, "tickets.autoclose", key, NULL, now)) != ERR_OK)
		return rc;
	/* E-mails go out within ten seconds. */
	snprintf(key, sizeof(key), "email.send:%lld", (long long)(now / 10000));
	if ((rc = jobs_enqueue(db, "email.send", key, NULL, now)) != ERR_OK)
		return rc;
	/* The shops' health, every PLATFORM_PROBE_INTERVAL_S. */
	int64_t every = (int64_t)config()->probe_interval_s * 1000;
	snprintf(key, sizeof(key), "backends.probe:%lld", (long long)(now / every));
	if ((rc = jobs_enqueue(db, "backends.probe", key, NULL, now)) != ERR_OK)
		return rc;
	/* The database, every PLATFORM_BACKUP_INTERVAL_S. */
	if (config()->backup_interval_s > 0) {
		every = (int64_t)config()->backup_interval_s * 1000;
		snprintf(key, sizeof(key), "db.backup:%lld", (long long)(now / every));
		if ((rc = jobs_enqueue(db, "db.backup", key, NULL, now)) != ERR_OK)
			return rc;
	}
	/* A running shop whose pool is gone is started again. */
	if (deploy_supervise(db, now) < 0)
		return ERR_DB;
	return db_exec(db, stmts[STMT_BG_FORGET], "i", now - 7 * CLOCK_DAY_MS) == ERR_OK ?
	    ERR_OK : ERR_DB;
}
