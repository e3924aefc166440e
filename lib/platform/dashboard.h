/*
 * The dashboards' figures (issue 11): one function computes them, the API
 * answers them as JSON, and the pages will render the same object. The
 * README defines each figure.
 */
#ifndef DASHBOARD_H
#define DASHBOARD_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"

/* The platform's figures at now as role sees them (ROLE_ADMIN: all of
 * them; ROLE_AGENT: the support part only). The process keeps them until
 * the data changes, 10 s at most (generatedAt says when they were
 * computed). Caller deletes; NULL on a database error. */
cJSON		*dashboard_platform(struct db *db, unsigned role, int64_t now);

/* GET /api/platform/dashboard: dashboard_platform() for the caller. */
enum err	 h_dashboard_platform(struct ctx *c);

/* Merchant merchant's figures at now: the merchant, its subscription (or
 * null), its latest invoices, its open tickets and the latest ones as it
 * sees them, its shops, and the statistics of its running shop asked of
 * the shop ({"available": false} when it does not answer). Never the
 * shop's key. The caller has checked that the merchant may be seen.
 * Caller deletes; NULL on a database error or an unknown merchant. */
cJSON		*dashboard_merchant(struct db *db, int64_t merchant, int64_t now);

/* GET /api/platform/merchant/:id/dashboard: dashboard_merchant() for an
 * admin, or for that merchant only (another one is not found). */
enum err	 h_dashboard_merchant(struct ctx *c);

#endif
