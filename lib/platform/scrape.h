/*
 * GET /metrics: the platform's figures in Prometheus's text format, for
 * callers on this machine's loopback and admins (ROUTE_LOOPBACK): the
 * requests by route (lib/web/metrics.h), the workers, the job queue, the
 * e-mail outbox, Stripe's webhook events, SQLite's busy retries and the
 * shops' health.
 */
#ifndef SCRAPE_H
#define SCRAPE_H

#include "app.h"

/* The platform's own counters in the shared page (metrics_add). */
enum scrape_counter {
	MX_WEBHOOK_APPLIED,	/* a Stripe event applied (or ignored by rule) */
	MX_WEBHOOK_DUPLICATE,	/* one seen before: answered, not applied again */
	MX_WEBHOOK_REFUSED,	/* a bad signature, not an event, or unmapped */
	MX__MAX
};

/* Answers the scrape. The caller's route table is app_def(c->app)'s. */
enum err	 h_metrics(struct ctx *c);

#endif
