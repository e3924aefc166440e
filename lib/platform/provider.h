/*
 * Stripe as the billing provider (when STRIPE_SECRET_KEY is set): plans
 * get a Stripe product and price, merchants a customer, subscriptions are
 * created, changed and cancelled through Stripe's API, which then is the
 * source of truth (its webhooks update the local records). Network calls
 * never happen inside a database transaction.
 */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"
#include "stripe.h"

/* Creates the product and price of a plan about to be stored; adds
 * stripeProductId and stripePriceId to data. docid keys the idempotency. */
enum err	 provider_plan(struct ctx *c, const struct stripe *s, cJSON *data,
		    const char *idem_base);
/* The Stripe tax rate of the VAT our rules ask of merchant, into out
 * ("" when none is due: reverse charge, outside the EU); made at Stripe
 * the first time a rate is needed and kept in stripe_tax_rates. */
enum err	 provider_tax_rate(struct ctx *c, const struct stripe *s,
		    int64_t merchant, char out[128]);
/* Subscribes merchant to plan through Stripe, with trial_days of trial
 * (0: none) and the VAT our rules ask, and stores the result. Returns
 * ERR_OK with *id, or an error with c->err_msg set. When Stripe made the
 * subscription but it cannot be stored (one started meanwhile), it is
 * cancelled at Stripe again, and logged. */
enum err	 provider_subscribe(struct ctx *c, const struct stripe *s,
		    int64_t merchant, int64_t plan, int trial_days, int64_t *id);
/* Cancels (immediately, or at period end), reactivates (undo = 1), or
 * changes the plan (plan != 0) of a Stripe subscription, then stores what
 * Stripe answers. */
enum err	 provider_update(struct ctx *c, const struct stripe *s, int64_t sub,
		    const char *stripe_id, int immediately, int undo, int64_t plan,
		    const char *reason);

#endif
