/*
 * Collecting the card, with Stripe on: a Stripe Checkout Session in
 * subscription mode (the merchant gives its card on Stripe's page; the
 * return URL and the checkout.session.completed webhook finish the
 * subscription, checkout.session.expired ends one left unfinished), and a
 * customer portal session where a merchant changes its card and reads
 * Stripe's receipts. Network calls never happen inside a transaction.
 */
#ifndef CHECKOUT_H
#define CHECKOUT_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"
#include "stripe.h"
#include "webhooks.h"

/* A checkout under way. */
struct checkout {
	int64_t	 subscription;		/* the local subscription, pending */
	char	 session[128];		/* Stripe's cs_... */
	char	 url[1024];		/* Stripe's page for the merchant */
};

/* Starts the checkout of merchant on plan, with trial_days of trial and
 * the VAT our rules ask, the local rules already checked: records a
 * pending subscription (its documentId the session's client_reference_id
 * and the subscription's metadata), then asks Stripe for the session.
 * Fills out. A refusal from Stripe removes the pending subscription. */
enum err	 checkout_start(struct ctx *c, const struct stripe *s, int64_t merchant,
		    int64_t plan, int trial_days, struct checkout *out);
/* Ends the merchant's unfinished checkout, if it has one: its session is
 * expired at Stripe, its pending subscription cancelled. Sets *abandoned
 * (0 when there was none, or when Stripe says it was completed). */
enum err	 checkout_abandon(struct ctx *c, const struct stripe *s, int64_t merchant,
		    int *abandoned);
/* GET /marketplace/checkout/return?session_id=cs_...: where Stripe sends
 * the merchant back. Reads the session from Stripe and records the
 * subscription it made (unless a webhook did first), then 303 to the
 * merchant's dashboard with a message. Another merchant's session: 404. */
enum err	 h_checkout_return(struct ctx *c);
/* POST /api/merchants/:id/billing-portal: a Stripe customer portal session
 * (change the card, Stripe's receipts), 201 {url}. 409 for a merchant
 * without a Stripe customer yet, or with Stripe off. */
enum err	 h_merchants_billing_portal(struct ctx *c);
/* checkout.session.completed and .expired, inside the webhook's
 * transaction. */
enum err	 checkout_on_event(struct db *db, const char *type, const cJSON *obj,
		    int64_t now, struct stripe_outcome *out);

#endif
