/*
 * Stripe webhooks: POST /api/stripe/webhook checks the signature, then
 * applies each event once (its id recorded in the transaction of its
 * effect) and in order (an event older than the last one applied to a
 * subscription changes nothing), and answers 2xx only once committed.
 */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include <cjson/cJSON.h>

#include "app.h"

/* What became of an event. */
struct stripe_outcome {
	int		 duplicate;	/* applied before: nothing done */
	const char	*ignored;	/* why nothing was to be done, or NULL */
	char		 unmapped[200];	/* why it could not be mapped, or "" */
};

/* POST /api/stripe/webhook. An event that cannot be mapped (an unknown
 * status, a shape of neither version, amounts that do not add up) is
 * logged, kept in stripe_events as 'unmapped', and answered 400 so that
 * Stripe sends it again. */
enum err	 h_stripe_webhook(struct ctx *c);
/* Applies a verified event inside the caller's transaction, in either
 * payload version (2024-06-20 or 2025-03-31), recording its id, api_version
 * and outcome. ERR_OK with out->unmapped set: the caller rolls back.
 * ERR_VALIDATION: not an event. */
enum err	 stripe_apply_event(struct db *db, const cJSON *event, int64_t now,
		    struct stripe_outcome *out);

#endif
