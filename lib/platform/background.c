#include <stdio.h>

#include "background.h"
#include "backends.h"
#include "clock.h"
#include "config.h"
#include "invoices.h"
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

const struct job_kind background_jobs[] = {
	{ "billing.run", 0, job_billing_run },
	{ "tickets.autoclose", 1, job_tickets_autoclose },
	{ "email.send", 0, job_email_send },
	{ "backend.deploy", 0, job_backend_deploy },
	{ "backends.probe", 0, job_backends_probe },
	{ "stripe.reprice", 0, job_stripe_reprice },
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
	/* A running shop whose pool is gone is started again. */
	if (deploy_supervise(db, now) < 0)
		return ERR_DB;
	return db_exec(db, stmts[STMT_BG_FORGET], "i", now - 7 * CLOCK_DAY_MS) == ERR_OK ?
	    ERR_OK : ERR_DB;
}
