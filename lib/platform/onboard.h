/*
 * Onboarding: a new merchant in one step. Its owner (a merchant user),
 * the merchant, a subscription to the chosen plan (a trial when the plan
 * has one) and its shop's backend are created in one transaction, then
 * the shop's deployment is queued. Any invalid part creates nothing, and
 * the error names every bad field. The API route and the public sign-up
 * form share onboard().
 */
#ifndef ONBOARD_H
#define ONBOARD_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"

/* What onboard() created. */
struct onboarded {
	int64_t	 user, merchant, subscription, backend, deployment;
};

/* Onboards data ({owner: {email, password, name?, username?}, merchant:
 * {name, country, slug?, email?, phone?, company?, vatNumber?, address?,
 * language?}, plan, subdomain}): the merchant's slug defaults to the
 * subdomain, its e-mail and the owner's username to the owner's e-mail.
 * Returns ERR_OK with *out filled; ERR_VALIDATION with every bad field in
 * c->ve (paths such as owner.email), nothing written; or another error
 * (c->err_msg set for Stripe's refusals), nothing left behind. */
enum err	 onboard(struct ctx *c, const cJSON *data, struct onboarded *out);
/* The records of an onboarding as its owner sees them, with where to
 * follow the deployment: {user, merchant, subscription, backend,
 * deployment, deploymentStatusUrl}. Caller deletes; NULL on error. */
cJSON		*onboard_json(struct ctx *c, const struct onboarded *o);

/* POST /api/platform/onboard-merchant (anyone not signed in, or an
 * admin): 201 with onboard_json(). */
enum err	 h_onboard(struct ctx *c);

#endif
