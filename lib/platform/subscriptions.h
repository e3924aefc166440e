/*
 * Subscriptions and the built-in billing engine: trials, first payment,
 * renewals at period end with an invoice, dunning (retries after 1, 3 and
 * 5 days, then cancellation), cancellation at period end or at once,
 * reactivation, plan changes prorated to the day. Time comes from
 * clock_now_ms(), so tests run a year of renewals in seconds.
 */
#ifndef SUBSCRIPTIONS_H
#define SUBSCRIPTIONS_H

#include <stdint.h>

#include "app.h"
#include "entity.h"
#include "invoices.h"

extern const struct entity subscriptions_entity;

/* POST /api/subscriptions: {merchant, plan}; a merchant for itself. */
enum err	 h_subscriptions_create(struct ctx *c);
/* POST /api/subscriptions/checkout: {merchant, plan} as for a
 * subscription, with Stripe on: a Stripe Checkout Session in subscription
 * mode, where the merchant gives its card. Answers 201 {url, sessionId,
 * subscription} (pending until Stripe says); the checks are those of a
 * subscription, before anything is made at Stripe. */
enum err	 h_subscriptions_checkout(struct ctx *c);
/* PUT /api/subscriptions/:id: {plan} changes the plan, prorated. */
enum err	 h_subscriptions_update(struct ctx *c);
/* PUT /api/subscriptions/:id/cancel: {immediately?, reason?}. */
enum err	 h_subscriptions_cancel(struct ctx *c);
/* PUT /api/subscriptions/:id/reactivate: undoes a cancellation at period
 * end before the period ends. */
enum err	 h_subscriptions_reactivate(struct ctx *c);

/* GET /api/subscriptions/stats: counts by status and plan, MRR, ARR, ARPU,
 * trial conversion, monthly churn, revenue by month (README defines each). */
enum err	 h_subscriptions_stats(struct ctx *c);
/* The same figures as a JSON object at time now (caller deletes), or NULL. */
cJSON		*subscriptions_stats(struct db *db, int64_t now);

/* Whether merchant may start a subscription: it has none live and no
 * unpaid (open) invoice. Returns ERR_OK, ERR_CONFLICT with the reason for
 * the merchant in why, or ERR_DB. */
enum err	 subscription_may_start(struct db *db, int64_t merchant,
		    char why[160]);
/* The trial a merchant gets on a plan offering plan_trial_days: one trial
 * per merchant, ever (any plan), so 0 once it has had one, and none for a
 * merchant with invoices written off (uncollectible). Returns the days, or
 * -1 on a database error. */
int		 subscription_trial_days(struct db *db, int64_t merchant,
		    int plan_trial_days);
/* Starts a subscription of merchant to plan at now, inside the caller's
 * transaction: trialing when the plan has trial days and the merchant has
 * had no trial, else pending with the first invoice issued and collected
 * (active once paid). Returns ERR_OK (setting *id), ERR_CONFLICT with the
 * reason in why when subscription_may_start refuses, or an error. */
enum err	 subscription_start(struct db *db, const struct seller *seller,
		    int64_t merchant, int64_t plan, int64_t now, int64_t *id,
		    char why[160]);

/* Takes every billing step due at now (trial ends, renewals, ends of
 * cancelled periods, payment retries), each in its own transaction, until
 * nothing is due. Returns the number of steps taken, or -1 on error. */
int		 billing_run(struct db *db, const struct seller *seller, int64_t now);

/* Dunning: retries this many days after the first failure, then cancel. */
#define BILLING_RETRY_DAYS { 1, 3, 5 }
#define BILLING_RETRIES 3

#endif
