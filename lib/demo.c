#include <stdio.h>

#include "demo.h"
#include "merchants.h"
#include "plans.h"
#include "users.h"

enum err
demo_seed(struct db *db)
{
	int64_t clara = 0, bob = 0;
	const char *why = NULL;
	enum err rc;
	if ((rc = db_plans_seed(db)) != ERR_OK)
		return rc;
	if ((rc = db_merchants_ensure(db, "Boutique Clara", "boutique-clara",
	    "contact@boutique-clara.fr", "Boutique Clara SARL", "FR40303265045",
	    "FR", "12 rue des Lilas, 69003 Lyon", &clara)) != ERR_OK ||
	    (rc = db_merchants_ensure(db, "Bob's Bikes", "bobs-bikes",
	    "hello@bobs-bikes.example", "Bob's Bikes Ltd", "DE129273398",
	    "DE", "Fahrradstraße 5, 10115 Berlin", &bob)) != ERR_OK)
		return rc;
	static const struct { const char *email, *name, *role; int which; } users[] = {
		{ "admin@example.com", "Alice Admin", "admin", 0 },
		{ "agent@example.com", "Andy Agent", "agent", 0 },
		{ "clara@example.com", "Clara Martin", "merchant", 1 },
		{ "bob@example.com", "Bob Smith", "merchant", 2 },
	};
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		int64_t m = users[i].which == 1 ? clara : users[i].which == 2 ? bob : 0;
		rc = db_users_create(db, users[i].email, users[i].name, DEMO_PASSWORD,
		    users[i].role, m, NULL, &why);
		if (rc == ERR_CONFLICT)
			continue;	/* already there */
		if (rc != ERR_OK) {
			fprintf(stderr, "demo: %s: %s\n", users[i].email, why ? why : "error");
			return rc;
		}
	}
	return ERR_OK;
}
