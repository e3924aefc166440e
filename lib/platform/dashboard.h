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
 * them; ROLE_AGENT: the support part only). Caller deletes; NULL on a
 * database error. */
cJSON		*dashboard_platform(struct db *db, unsigned role, int64_t now);

/* GET /api/platform/dashboard: dashboard_platform() for the caller. */
enum err	 h_dashboard_platform(struct ctx *c);

#endif
