/*
 * Demo data for development (`make run`, PLATFORM_DEMO=1), never for a
 * production setup: the three plans, two merchants and four sign-ins, all
 * with the password "demo-password". Idempotent.
 */
#ifndef DEMO_H
#define DEMO_H

#include "db.h"
#include "err.h"

#define DEMO_PASSWORD "demo-password"

/* Loads what is missing of the demo data. Returns ERR_OK or an error. */
enum err	 demo_seed(struct db *db);

#endif
