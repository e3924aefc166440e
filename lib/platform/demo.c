#include <stdio.h>

#include "backends.h"
#include "clock.h"
#include "demo.h"
#include "invoices.h"
#include "merchants.h"
#include "plans.h"
#include "subscriptions.h"
#include "tickets.h"
#include "users.h"

/* A year of billing made by the engine itself: merchants signing up over
 * the past twelve months on each plan, renewals with paid invoices, one
 * past due, one cancelled, one still in trial. Runs once, on a platform
 * without any subscription. */
static const struct demo_shop {
	const char	*name, *slug, *email, *company, *vat, *country, *address;
	const char	*plan;
	int		 signup_days_ago;
	int		 cancel_days_ago;	/* 0: never */
	int		 fail_days_ago;		/* the card fails from then: 0 never */
} shops[] = {
	{ "Atelier Céramique", "atelier-ceramique", "bonjour@atelier-ceramique.fr",
	  "Atelier Céramique EURL", "FR40303265045", "FR", "4 quai des Potiers, 33000 Bordeaux",
	  "starter", 340, 0, 0 },
	{ "Nordic Knits", "nordic-knits", "hej@nordic-knits.example", "Nordic Knits AB",
	  "SE556677889901", "SE", "Vävargatan 2, 111 22 Stockholm", "business", 300, 0, 0 },
	{ "Green Grocer", "green-grocer", "hello@green-grocer.example", "Green Grocer Ltd",
	  NULL, "GB", "1 Market Street, Leeds LS1 6DT", "starter", 250, 0, 0 },
	{ "Boutique Clara", "boutique-clara", NULL, NULL, NULL, NULL, NULL,
	  "business", 200, 0, 0 },
	{ "Maison Dupont", "maison-dupont", "contact@maison-dupont.fr", "Maison Dupont SA",
	  "FR40303265045", "FR", "18 avenue Foch, 75116 Paris", "enterprise", 180, 0, 0 },
	{ "Café Lumière", "cafe-lumiere", "cafe@lumiere.example", NULL, NULL, "FR",
	  "2 rue Mercière, 69002 Lyon", "business", 150, 40, 0 },
	/* Its card fails from the start: its trial ended two days ago, unpaid. */
	{ "Papeterie du Sud", "papeterie-sud", "info@papeterie-sud.fr", NULL, NULL, "FR",
	  "9 cours Mirabeau, 13100 Aix-en-Provence", "starter", 16, 0, 16 },
	{ "Bob's Bikes", "bobs-bikes", NULL, NULL, NULL, NULL, NULL, "starter", 100, 0, 0 },
	{ "Nouvelle Boutique", "nouvelle-boutique", "salut@nouvelle-boutique.fr", NULL,
	  NULL, "FR", NULL, "starter", 5, 0, 0 },
};

enum stmt_demo {
	STMT_DEMO_COUNT_SUBS,
	STMT_DEMO_PLAN_BY_SLUG,
	STMT_DEMO_MERCHANT_BY_SLUG,
	STMT_DEMO_SET_SIGNUP,
	STMT_DEMO_SET_FAILING,
	STMT_DEMO_CANCEL,
	STMT_DEMO_COUNT_TICKETS,
	STMT_DEMO_USER_OF,
	STMT_DEMO_TICKET_ANSWERED,
	STMT_DEMO_TICKET_RESOLVED,
	STMT_DEMO__MAX
};

static const char *const stmts[STMT_DEMO__MAX] = {
	[STMT_DEMO_COUNT_TICKETS] = "SELECT count(*) FROM support_tickets",
	/* A user of the merchant, to ask in its name (0: none). */
	[STMT_DEMO_USER_OF] = "SELECT coalesce(min(id), 0) FROM users WHERE merchant_id = ?",
	/* The history of a demo ticket: answered by the agent after ?2 minutes,
	 * in progress; resolved after ?3 (NULL: not yet), closed a week later. */
	[STMT_DEMO_TICKET_ANSWERED] = "UPDATE support_tickets SET status = 'in_progress', "
	    "first_response_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, "
	    "printf('+%d minutes', ?2)), assignee_id = (SELECT min(id) FROM users WHERE "
	    "role = 'agent'), updated_at = created_at, public_updated_at = created_at "
	    "WHERE id = ?1",
	[STMT_DEMO_TICKET_RESOLVED] = "UPDATE support_tickets SET status = CASE WHEN "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', created_at, printf('+%d minutes', ?2 + "
	    "10080)) < ?3 THEN 'closed' ELSE 'resolved' END, resolved_at = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', created_at, printf('+%d minutes', ?2)), "
	    "closed_at = CASE WHEN strftime('%Y-%m-%dT%H:%M:%fZ', created_at, "
	    "printf('+%d minutes', ?2 + 10080)) < ?3 THEN strftime('%Y-%m-%dT%H:%M:%fZ', "
	    "created_at, printf('+%d minutes', ?2 + 10080)) END WHERE id = ?1",
	[STMT_DEMO_COUNT_SUBS] = "SELECT count(*) FROM subscriptions",
	[STMT_DEMO_PLAN_BY_SLUG] = "SELECT id FROM subscription_plans WHERE slug = ?",
	[STMT_DEMO_MERCHANT_BY_SLUG] = "SELECT id FROM merchants WHERE slug = ?",
	[STMT_DEMO_SET_SIGNUP] = "UPDATE merchants SET signup_date = ? WHERE id = ?",
	[STMT_DEMO_SET_FAILING] = "UPDATE merchants SET payment_method = 'failing-card' "
	    "WHERE id = ?",
	[STMT_DEMO_CANCEL] = "UPDATE subscriptions SET status = 'cancelled', "
	    "cancelled_at = ?1, cancellation_reason = 'Closing the shop', updated_at = ?1 "
	    "WHERE merchant_id = ?2 AND status != 'cancelled'",
};

/* The id of the row sql finds by slug, or 0. */
static int64_t
id_by_slug(struct db *db, enum stmt_demo which, const char *slug)
{
	int64_t id = 0;
	db_get(db, stmts[which], "s", "I", slug, &id);
	return id;
}

static enum err
demo_history(struct db *db)
{
	struct seller sel;
	int64_t merchants[sizeof(shops) / sizeof(shops[0])];
	int64_t have = -1;
	if (db_get(db, stmts[STMT_DEMO_COUNT_SUBS], "", "I", &have) != ERR_OK)
		have = -1;
	if (have != 0)
		return have < 0 ? ERR_DB : ERR_OK;
	seller_from_config(&sel);
	for (size_t i = 0; i < sizeof(shops) / sizeof(shops[0]); i++) {
		const struct demo_shop *s = &shops[i];
		merchants[i] = id_by_slug(db, STMT_DEMO_MERCHANT_BY_SLUG, s->slug);
		if (merchants[i] == 0 && db_merchants_ensure(db, s->name, s->slug, s->email,
		    s->company, s->vat, s->country, s->address, &merchants[i]) != ERR_OK)
			return ERR_DB;
	}
	/* Day by day through the past year, as the worker would have. */
	int64_t today = clock_now_ms();
	for (int day = 365; day >= 0; day--) {
		int64_t t = today - (int64_t)day * CLOCK_DAY_MS;
		char ts[25];
		clock_format_ms(t, ts);
		for (size_t i = 0; i < sizeof(shops) / sizeof(shops[0]); i++) {
			const struct demo_shop *s = &shops[i];
			enum err rc = ERR_OK;
			if (db_begin(db) != ERR_OK)
				return ERR_DB;
			if (s->signup_days_ago == day)
				rc = db_exec(db, stmts[STMT_DEMO_SET_SIGNUP], "si", ts, merchants[i]);
			if (rc == ERR_OK && s->cancel_days_ago == day && day > 0)
				rc = db_exec(db, stmts[STMT_DEMO_CANCEL], "si", ts, merchants[i]);
			if (rc == ERR_OK && s->fail_days_ago == day && day > 0)
				rc = db_exec(db, stmts[STMT_DEMO_SET_FAILING], "i", merchants[i]);
			if (rc == ERR_OK && s->signup_days_ago == day) {
				int64_t sub;
				char why[160];
				rc = subscription_start(db, &sel, merchants[i],
				    id_by_slug(db, STMT_DEMO_PLAN_BY_SLUG, s->plan), t, &sub, why);
			}
			if (rc != ERR_OK) {
				db_rollback(db);
				return rc;
			}
			if (db_commit(db) != ERR_OK)
				return ERR_DB;
		}
		if (billing_run(db, &sel, t) < 0)
			return ERR_DB;
	}
	return ERR_OK;
}

/* Twelve weeks of support: what the merchants asked, most of it answered
 * and resolved, the last days' still open. */
static const struct demo_ticket {
	const char	*subject, *description, *category, *priority;
} demo_tickets[] = {
	{ "Card payment refused at checkout", "Two customers saw their card refused "
	    "this morning.", "billing", "high" },
	{ "How do I add a second staff account?", "My partner needs to manage orders.",
	    "account", "low" },
	{ "Product images load slowly", "The shop page takes several seconds on "
	    "mobile.", "technical", "medium" },
	{ "Invoice shows the wrong VAT number", "Please correct the VAT number on the "
	    "last invoice.", "billing", "medium" },
	{ "Orders page is empty", "I cannot see yesterday's orders.", "technical",
	    "urgent" },
	{ "Change of company address", "We moved: 4 place Bellecour, Lyon.", "account",
	    "low" },
};
#define DEMO_TICKETS	36

static enum err
demo_support(struct db *db)
{
	int64_t have = -1, now = clock_now_ms();
	char ts[25];
	if (db_get(db, stmts[STMT_DEMO_COUNT_TICKETS], "", "I", &have) != ERR_OK)
		return ERR_DB;
	if (have != 0)
		return ERR_OK;
	clock_format_ms(now, ts);
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	/* One every 56 hours, the newest two days old. */
	for (int i = 0; i < DEMO_TICKETS; i++) {
		const struct demo_ticket *t = &demo_tickets[i % 6];
		const struct demo_shop *s = &shops[(size_t)i % (sizeof(shops) / sizeof(shops[0]))];
		int64_t merchant = id_by_slug(db, STMT_DEMO_MERCHANT_BY_SLUG, s->slug), user = 0, id;
		int64_t at = now - (int64_t)(DEMO_TICKETS - i) * 56 * 3600 * 1000 + 5 * 3600 * 1000;
		if (merchant == 0 || db_get(db, stmts[STMT_DEMO_USER_OF], "i", "I", merchant,
		    &user) != ERR_OK || tickets_insert(db, merchant, user, t->subject,
		    t->description, t->category, t->priority, at, &id) != ERR_OK)
			goto fail;
		/* The last four not answered yet; one in five answered late. */
		if (i >= DEMO_TICKETS - 4)
			continue;
		int64_t answer = i % 5 == 0 ? 26 * 60 : 45 + 20 * (i % 7);
		if (db_exec(db, stmts[STMT_DEMO_TICKET_ANSWERED], "ii", id, answer) != ERR_OK ||
		    (i < DEMO_TICKETS - 8 && db_exec(db, stmts[STMT_DEMO_TICKET_RESOLVED],
		    "iis", id, answer + 180 + 60 * (i % 9), ts) != ERR_OK))
			goto fail;
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return ERR_DB;
}

enum err
demo_seed(struct db *db)
{
	int64_t clara = 0;
	enum err rc = demo_seed_accounts(db);
	if (rc == ERR_OK)
		rc = demo_history(db);
	if (rc == ERR_OK)
		rc = demo_support(db);
	/* Boutique Clara's shop, deployed by the worker. */
	if (rc == ERR_OK && (clara = id_by_slug(db, STMT_DEMO_MERCHANT_BY_SLUG,
	    "boutique-clara")) == 0)
		rc = ERR_DB;
	return rc == ERR_OK ? backend_ensure(db, clara, DEMO_SHOP, clock_now_ms()) : rc;
}

enum err
demo_seed_accounts(struct db *db)
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
