/*
 * Merchants: the shops on the platform. A merchant user reads and updates
 * its own record (never its status or Stripe ids); admins manage all;
 * agents read.
 */
#ifndef MERCHANTS_H
#define MERCHANTS_H

#include <stdint.h>

#include "app.h"
#include "entity.h"

extern const struct entity merchants_entity;

/* Returns 1 for an ISO 3166-1 alpha-2 code ("FR"). */
int	 valid_country(const char *s);
/* Returns 1 for a VAT number of its prefix's shape (each EU member
 * state's, EL for Greece, XI for Northern Ireland, a few neighbours'; 2-13
 * letters or digits after another country's code); French numbers also
 * need a right check key. */
int	 valid_vat(const char *s);
/* Returns 1 when a valid VAT number vat belongs to country (an ISO code:
 * GR numbers start with EL, GB ones with GB or XI). */
int	 valid_vat_country(const char *vat, const char *country);
/* Inserts a merchant outside any request (demo data), by slug: returns the
 * existing id if the slug is taken. Returns ERR_OK or ERR_DB. */
enum err db_merchants_ensure(struct db *db, const char *name, const char *slug,
	    const char *email, const char *company, const char *vat,
	    const char *country, const char *address, int64_t *id);

#endif
