/*
 * Stripe: a REST client over libcurl (form-encoded bodies, an
 * Idempotency-Key on every POST, timeouts, retries of network errors and
 * 5xx with backoff, clear errors for 4xx) and the verification of webhook
 * signatures (HMAC-SHA256 of "t.body", any v1, 300 s tolerance,
 * constant-time comparison).
 */
#ifndef STRIPE_H
#define STRIPE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "http.h"

#define STRIPE_TOLERANCE_S	300
#define STRIPE_RETRIES		3

struct stripe {
	char	 key[256];		/* STRIPE_SECRET_KEY; "" when off */
	char	 base[256];		/* STRIPE_API_BASE */
	char	 webhook_secret[256];	/* STRIPE_WEBHOOK_SECRET */
	long	 timeout_ms;
	long	 backoff_ms;		/* first retry delay, doubled each time */
};

/* Takes STRIPE_* from the configuration; returns 1 when Stripe is on (a
 * key is set). */
int	 stripe_from_config(struct stripe *s);

/* The answer of a Stripe call. */
struct stripe_reply {
	long	 status;		/* HTTP status, 0 if none came */
	cJSON	*json;			/* the parsed body (caller deletes) */
	char	 error[256];		/* Stripe's message, or the network's */
	int	 attempts;
};

/* Calls Stripe: method "GET", "POST" or "DELETE" on path ("/v1/customers"),
 * with form parameters (POST only) and, for POST, idem_key as the
 * Idempotency-Key (the same on every retry). Returns ERR_OK for a 2xx,
 * ERR_VALIDATION for another 4xx (402 included: r->error says why), or
 * ERR_UNAVAILABLE once the retries of network errors, 429 and 5xx are spent. */
enum err stripe_call(const struct stripe *s, const char *method, const char *path,
	    const struct kv *form, size_t nform, const char *idem_key,
	    struct stripe_reply *r);
/* Encodes form pairs as application/x-www-form-urlencoded into out. */
void	 stripe_form_encode(const struct kv *form, size_t n, struct buf *out);
/* Amounts between the platform, which counts every currency in
 * hundredths, and Stripe, which counts each in its own minor unit: none
 * for its zero-decimal currencies (JPY: 500 yen is 500), thousandths for
 * its three-decimal ones. currency is its ISO code in either case.
 * stripe_amount_to answers -1 for an amount Stripe cannot charge (a
 * fraction of a yen). */
int64_t	 stripe_amount_to(const char *currency, int64_t hundredths);
int64_t	 stripe_amount_from(const char *currency, int64_t amount);
/* A Stripe subscription status in ours (incomplete is pending, unpaid
 * and paused past_due, canceled and incomplete_expired cancelled); NULL
 * for a status Stripe does not document. */
const char	*stripe_status(const char *stripe);
/* Checks a Stripe-Signature header against the raw body at time now (s).
 * Returns 0 when one v1 signature matches and the timestamp is within the
 * tolerance, else -1. */
int	 stripe_verify(const char *secret, const char *header, const char *body,
	    size_t len, int64_t now);

#endif
