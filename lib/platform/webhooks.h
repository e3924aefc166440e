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

/* POST /api/stripe/webhook */
enum err	 h_stripe_webhook(struct ctx *c);
/* Applies a verified event inside the caller's transaction; sets
 * *duplicate when it was applied before. */
enum err	 stripe_apply_event(struct db *db, const cJSON *event, int64_t now,
		    int *duplicate);

#endif
