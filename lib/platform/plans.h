/*
 * Subscription plans: the content type, its checks, and the public list of
 * active plans (the platform's hottest read).
 */
#ifndef PLANS_H
#define PLANS_H

#include <cjson/cJSON.h>

#include "app.h"
#include "entity.h"

extern const struct entity plans_entity;

/* POST /api/subscription-plans: with Stripe on, its product and price too. */
enum err	 h_plans_create(struct ctx *c);
/* PUT /api/subscription-plans/:id: with Stripe on, a new price, amount,
 * currency or interval makes a new Stripe price (prices are immutable
 * there), archives the old one and queues stripe.reprice, which moves the
 * plan's subscriptions to it from their next period; withdrawing the plan
 * (active false) archives its product and price, offering it again
 * restores them. */
enum err	 h_plans_update(struct ctx *c);
/* DELETE /api/subscription-plans/:id: with Stripe on, archives its
 * product and price. */
enum err	 h_plans_delete(struct ctx *c);
/* GET /api/subscription-plans/active: active plans in sortOrder. */
enum err	 h_plans_active(struct ctx *c);
/* Returns the active plans as a JSON array (caller deletes), or NULL on a
 * database error. Used by the API and the pricing page. */
cJSON		*db_plans_active(struct db *db);
/* Inserts the demo plans (Starter, Business, Enterprise) that are not
 * there yet, by slug. Returns ERR_OK or ERR_DB. */
enum err	 db_plans_seed(struct db *db);

#endif
