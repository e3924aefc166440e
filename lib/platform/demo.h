/*
 * Demo data for development (`make run`, PLATFORM_DEMO=1), never for a
 * production setup: the three plans, two merchants and four sign-ins, all
 * with the password "demo-password", and a year of billing history made by
 * the engine over simulated time. Idempotent.
 */
#ifndef DEMO_H
#define DEMO_H

#include "db.h"
#include "err.h"

#define DEMO_PASSWORD "demo-password"
/* Boutique Clara's shop: its subdomain. */
#define DEMO_SHOP "boutique-clara"

/* Loads what is missing of the demo data. Returns ERR_OK or an error. */
enum err	 demo_seed(struct db *db);
/* The plans, merchants and sign-ins only, without billing history (unit
 * tests build their own). */
enum err	 demo_seed_accounts(struct db *db);

#endif
