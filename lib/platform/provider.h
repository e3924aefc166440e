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
#include "id.h"
#include "stripe.h"

/* Creates the product and price of a plan about to be stored; adds
 * stripeProductId and stripePriceId to data. docid keys the idempotency. */
enum err	 provider_plan(struct ctx *c, const struct stripe *s, cJSON *data,
		    const char *idem_base);
/* A status of Stripe's subscription in ours (stripe_status), pending for
 * one Stripe does not document. */
const char	*provider_status(const char *stripe);
/* Makes at Stripe a price of product: cents (our hundredths) in currency
 * every interval, with idem as its Idempotency-Key; its id into out.
 * ERR_VALIDATION (c->ve names priceCents, with value) for an amount
 * Stripe cannot charge, before any call. */
enum err	 provider_price(struct ctx *c, const struct stripe *s,
		    const char *product, int64_t cents, const char *currency,
		    const char *interval, const char *idem, const cJSON *value,
		    char out[128]);
/* Archives (active = 0) or restores a Stripe product or price: what is
 * "products" or "prices". Nothing for an empty id. A failure is logged
 * and returned; what Stripe bills already is not changed by either. */
enum err	 provider_set_active(const struct stripe *s, const char *what,
		    const char *id, int active);
/* Moves every live Stripe subscription of plan onto the plan's current
 * price, from its next period (no proration): the stripe.reprice job.
 * Each is read first, so a run again moves nothing twice. ERR_UNAVAILABLE
 * when Stripe failed for one (the job is retried). No transaction. */
enum err	 provider_reprice(struct db *db, const struct stripe *s, int64_t plan);
/* The merchant's Stripe customer into out, made (and kept on the
 * merchant) the first time. */
enum err	 provider_customer(struct ctx *c, const struct stripe *s,
		    int64_t merchant, char out[128]);
/* The Stripe tax rate of the VAT our rules ask of merchant, into out
 * ("" when none is due: reverse charge, outside the EU); made at Stripe
 * the first time a rate is needed and kept in stripe_tax_rates. */
enum err	 provider_tax_rate(struct ctx *c, const struct stripe *s,
		    int64_t merchant, char out[128]);
/* What a Stripe subscription of merchant on plan needs, made at Stripe
 * when missing: the plan's price (409 without one), the merchant's
 * customer, the tax rate of the VAT our rules ask, and a documentId for
 * the local subscription. */
struct provider_parts {
	char	 price[128], customer[128], tax_rate[128];
	char	 doc[DOCUMENT_ID_LEN + 1];
};
enum err	 provider_parts(struct ctx *c, const struct stripe *s, int64_t merchant,
		    int64_t plan, struct provider_parts *p);
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
