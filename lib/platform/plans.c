#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crud.h"
#include "id.h"
#include "jobs.h"
#include "json.h"
#include "plans.h"
#include "provider.h"
#include "query.h"
#include "valid.h"
#include "subscriptions.h"

static const char *const intervals[] = { "month", "year", NULL };
static const char *const currencies[] = { "EUR", "USD", "GBP", "CHF", "CAD",
    "AUD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", NULL };
static const char *const support_levels[] = { "community", "email",
    "priority", "dedicated", NULL };


static int
check_features(const cJSON *v, const char *name, struct verrs *ve)
{
	char path[64];
	int i = 0;
	if (!cJSON_IsArray(v)) {
		verr_addf(ve, name, NULL, "%s must be a list of strings", name);
		return -1;
	}
	if (cJSON_GetArraySize(v) > 30) {
		verr_addf(ve, name, NULL, "%s must have at most 30 entries", name);
		return -1;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		snprintf(path, sizeof(path), "%s.%d", name, i++);
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
		    strlen(it->valuestring) > 200 || !valid_text(it->valuestring, 0)) {
			verr_add(ve, path, "each feature must be a non-empty line of "
			    "at most 200 characters", it);
			return -1;
		}
	}
	return 0;
}

/* The keys of `limits`; null in a count means unlimited. */
static const struct field limit_fields[] = {
	{ "maxProducts", NULL, FT_INT, F_NULLABLE, 0, 100000000, NULL, NULL, NULL },
	{ "maxOrdersPerMonth", NULL, FT_INT, F_NULLABLE, 0, 100000000, NULL, NULL, NULL },
	{ "maxStaff", NULL, FT_INT, F_NULLABLE, 0, 100000, NULL, NULL, NULL },
	{ "storageMb", NULL, FT_INT, F_NULLABLE, 0, 100000000, NULL, NULL, NULL },
	{ "customDomain", NULL, FT_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "supportLevel", NULL, FT_ENUM, 0, 0, 0, support_levels, NULL, NULL },
};

static int
check_limits(const cJSON *v, const char *name, struct verrs *ve)
{
	char path[96];
	int bad = 0;
	if (!cJSON_IsObject(v)) {
		verr_addf(ve, name, NULL, "%s must be an object", name);
		return -1;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, v) {
		size_t i;
		for (i = 0; i < sizeof(limit_fields) / sizeof(limit_fields[0]); i++)
			if (strcmp(limit_fields[i].name, it->string) == 0)
				break;
		snprintf(path, sizeof(path), "%s.%.60s", name, it->string);
		if (i == sizeof(limit_fields) / sizeof(limit_fields[0])) {
			verr_addf(ve, path, NULL, "Invalid key %s", path);
			bad = -1;
			continue;
		}
		struct field f = limit_fields[i];
		f.name = path;
		if (valid_field(&f, it, ve) != 0)
			bad = -1;
	}
	return bad;
}

static const struct field plan_fields[] = {
	ENTITY_STD_FIELDS,
	{ "name", "name", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    1, 100, NULL, NULL, NULL },
	{ "slug", "slug", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 1, 64, NULL, valid_check_slug, NULL },
	{ "description", "description", FT_TEXT, F_WRITABLE | F_NULLABLE |
	    F_FILTER, 0, 2000, NULL, NULL, NULL },
	{ "priceCents", "price_cents", FT_INT, F_REQUIRED | F_WRITABLE | F_FILTER |
	    F_SORT, 0, 100000000, NULL, NULL, NULL },
	{ "currency", "currency", FT_ENUM, F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, currencies, NULL, NULL },
	{ "interval", "interval", FT_ENUM, F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, intervals, NULL, NULL },
	{ "trialDays", "trial_days", FT_INT, F_WRITABLE | F_FILTER | F_SORT,
	    0, 365, NULL, NULL, NULL },
	{ "features", "features", FT_JSON, F_WRITABLE, 0, 0, NULL, check_features, NULL },
	{ "limits", "limits", FT_JSON, F_WRITABLE, 0, 0, NULL, check_limits, NULL },
	{ "active", "active", FT_BOOL, F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, NULL, NULL, NULL },
	{ "sortOrder", "sort_order", FT_INT, F_WRITABLE | F_FILTER | F_SORT,
	    -1000000, 1000000, NULL, NULL, NULL },
	{ "stripeProductId", "stripe_product_id", FT_STRING, F_FILTER | F_NULLABLE,
	    0, 255, NULL, NULL, NULL },
	{ "stripePriceId", "stripe_price_id", FT_STRING, F_FILTER | F_NULLABLE,
	    0, 255, NULL, NULL, NULL },
};

static const struct relation plan_rels[] = {
	{ "subscriptions", &subscriptions_entity, "plan_id", REL_MANY },
};

const struct entity plans_entity = {
	.name = "subscription-plans",
	.table = "subscription_plans",
	.fields = plan_fields,
	.nfields = sizeof(plan_fields) / sizeof(plan_fields[0]),
	.rels = plan_rels,
	.nrels = sizeof(plan_rels) / sizeof(plan_rels[0]),
	.shared = 1,
};

/* The column list of every plan field, in table order. */
#define PLAN_COLUMNS "id, document_id, created_at, updated_at, published_at, " \
	"name, slug, description, price_cents, currency, interval, trial_days, " \
	"features, limits, active, sort_order, stripe_product_id, stripe_price_id"

enum stmt_plans {
	STMT_PLANS_ACTIVE,
	STMT_PLANS_SLUG_EXISTS,
	STMT_PLANS_INSERT,
	STMT_PLANS_STRIPE,
	STMT_PLANS__MAX
};

static const char *const stmts[STMT_PLANS__MAX] = {
	[STMT_PLANS_ACTIVE] = "SELECT " PLAN_COLUMNS " FROM subscription_plans "
	    "WHERE active = 1 ORDER BY sort_order, id",
	[STMT_PLANS_SLUG_EXISTS] = "SELECT 1 FROM subscription_plans WHERE slug = ?",
	[STMT_PLANS_INSERT] = "INSERT INTO subscription_plans (document_id, name, "
	    "slug, description, price_cents, currency, interval, trial_days, "
	    "features, limits, active, sort_order, created_at, updated_at, "
	    "published_at) VALUES (?, ?, ?, ?, ?, 'EUR', 'month', ?, ?, ?, 1, ?, "
	    "?, ?, ?)",
	[STMT_PLANS_STRIPE] = "SELECT price_cents, currency, interval, active, "
	    "coalesce(stripe_product_id, ''), coalesce(stripe_price_id, '') FROM "
	    "subscription_plans WHERE id = ?",
};

cJSON *
db_plans_active(struct db *db)
{
	sqlite3_stmt *st = db_bind(db, stmts[STMT_PLANS_ACTIVE], "");
	if (st == NULL)
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	enum db_rc r;
	while ((r = db_step(db, st)) == DB_ROW)
		cJSON_AddItemToArray(arr, crud_row_json(&plans_entity,
		    ~(uint64_t)0, st));
	db_done(st);
	if (r != DB_DONE) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

enum err
h_plans_active(struct ctx *c)
{
	cJSON *arr = db_plans_active(c->db);
	if (arr == NULL)
		return ERR_DB;
	json_send_data(c->resp, 200, arr, NULL);
	return ERR_OK;
}

enum err
db_plans_seed(struct db *db)
{
	static const struct {
		const char *name, *slug, *desc;
		int price, trial, order;
		const char *features, *limits;
	} demo[] = {
		{ "Starter", "starter", "Everything a new shop needs to start selling.",
		  2900, 14, 1,
		  "[\"Online shop on your own subdomain\",\"Up to 100 products\","
		  "\"Secure card payments\",\"E-mail support\"]",
		  "{\"maxProducts\":100,\"maxOrdersPerMonth\":500,\"maxStaff\":2,"
		  "\"storageMb\":1024,\"customDomain\":false,\"supportLevel\":\"email\"}" },
		{ "Business", "business", "For growing shops: more products, staff and "
		  "priority support.", 7900, 14, 2,
		  "[\"Everything in Starter\",\"Up to 5,000 products\","
		  "\"Custom domain\",\"Priority support\",\"Sales statistics\"]",
		  "{\"maxProducts\":5000,\"maxOrdersPerMonth\":10000,\"maxStaff\":10,"
		  "\"storageMb\":10240,\"customDomain\":true,\"supportLevel\":\"priority\"}" },
		{ "Enterprise", "enterprise", "Unlimited catalogue, dedicated support "
		  "and a service-level agreement.", 24900, 30, 3,
		  "[\"Everything in Business\",\"Unlimited products and orders\","
		  "\"Dedicated account manager\",\"99.9% uptime SLA\"]",
		  "{\"maxProducts\":null,\"maxOrdersPerMonth\":null,\"maxStaff\":null,"
		  "\"storageMb\":102400,\"customDomain\":true,\"supportLevel\":\"dedicated\"}" },
	};
	char now[25], docid[DOCUMENT_ID_LEN + 1];
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	clock_format_ms(clock_now_ms(), now);
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		sqlite3_stmt *st = db_bind(db, stmts[STMT_PLANS_SLUG_EXISTS], "s", demo[i].slug);
		if (st == NULL)
			goto fail;
		enum db_rc r = db_step(db, st);
		db_done(st);
		if (r == DB_ROW)
			continue;
		if (r != DB_DONE || id_document_new(docid) != 0)
			goto fail;
		if (db_exec(db, stmts[STMT_PLANS_INSERT], "ssssiississs", docid, demo[i].name,
		    demo[i].slug, demo[i].desc, (int64_t)demo[i].price,
		    (int64_t)demo[i].trial, demo[i].features, demo[i].limits,
		    (int64_t)demo[i].order, now, now, now) != ERR_OK)
			goto fail;
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return ERR_DB;
}

enum err
h_plans_create(struct ctx *c)
{
	struct stripe s;
	const cJSON *data = crud_body_data(c);
	cJSON *copy = NULL, *out = NULL;
	char idem[DOCUMENT_ID_LEN + 8];
	enum err rc;
	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_prepare(c, &plans_entity, data, 1, &copy)) != ERR_OK)
		return rc;
	if (stripe_from_config(&s)) {
		/* The product and price first, outside any transaction. */
		char doc[DOCUMENT_ID_LEN + 1];
		if (id_document_new(doc) != 0) {
			cJSON_Delete(copy);
			return ERR_INTERNAL;
		}
		snprintf(idem, sizeof(idem), "plan-%s", doc);
		if ((rc = provider_plan(c, &s, copy, idem)) != ERR_OK) {
			cJSON_Delete(copy);
			return rc;
		}
	}
	rc = crud_write(c, &plans_entity, copy, 0, &out);
	cJSON_Delete(copy);
	if (rc != ERR_OK)
		return rc;
	crud_restrict(&plans_entity, c->fields, out);
	json_send_data(c->resp, 201, out, NULL);
	return ERR_OK;
}

/* A plan as Stripe knows it. */
struct stripe_plan {
	int64_t	 cents, active;
	char	 currency[8], interval[8], product[128], price[128];
};

static enum err
stripe_plan_load(struct db *db, int64_t id, struct stripe_plan *p)
{
	return db_get(db, stmts[STMT_PLANS_STRIPE], "i", "ISSISS", id, &p->cents,
	    p->currency, sizeof(p->currency), p->interval, sizeof(p->interval), &p->active,
	    p->product, sizeof(p->product), p->price, sizeof(p->price));
}

/* The value a prepared update gives key, or the stored one. */
static const char *
new_text(const cJSON *data, const char *key, const char *was)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(data, key));
	return v ? v : was;
}

enum err
h_plans_update(struct ctx *c)
{
	struct stripe s;
	struct stripe_plan was;
	const cJSON *data = crud_body_data(c);
	cJSON *copy = NULL, *out = NULL;
	int64_t rowid;
	char made[128] = "", key[96];
	enum err rc;
	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_resolve(c, &plans_entity, c->id, &rowid)) != ERR_OK)
		return rc;
	if ((rc = crud_prepare(c, &plans_entity, data, 0, &copy)) != ERR_OK)
		return rc;
	int stripe = stripe_from_config(&s);
	if (stripe && (rc = stripe_plan_load(c->db, rowid, &was)) != ERR_OK) {
		cJSON_Delete(copy);
		return rc == ERR_NOT_FOUND ? rc : ERR_DB;
	}
	stripe = stripe && was.product[0];
	const cJSON *jc = cJSON_GetObjectItem(copy, "priceCents");
	int64_t cents = cJSON_IsNumber(jc) ? (int64_t)jc->valuedouble : stripe ? was.cents : 0;
	if (stripe && (cents != was.cents || strcmp(new_text(copy, "currency", was.currency),
	    was.currency) != 0 || strcmp(new_text(copy, "interval", was.interval),
	    was.interval) != 0)) {
		/* Prices are immutable at Stripe: a new one, made before the
		 * transaction; the subscriptions move to it after. */
		snprintf(key, sizeof(key), "plan-%lld-price-%lld", (long long)rowid,
		    (long long)clock_now_ms());
		if ((rc = provider_price(c, &s, was.product, cents, new_text(copy,
		    "currency", was.currency), new_text(copy, "interval", was.interval), key,
		    jc, made)) != ERR_OK) {
			cJSON_Delete(copy);
			return rc;
		}
		cJSON_AddStringToObject(copy, "stripePriceId", made);
	}
	rc = crud_write(c, &plans_entity, copy, rowid, &out);
	const cJSON *ja = cJSON_GetObjectItem(copy, "active");
	int active = cJSON_IsBool(ja) ? cJSON_IsTrue(ja) : stripe ? (int)was.active : 1;
	cJSON_Delete(copy);
	if (rc != ERR_OK) {
		if (made[0])	/* not the plan's: never to be used */
			provider_set_active(&s, "prices", made, 0);
		return rc;
	}
	if (stripe) {
		if (made[0]) {
			char job[160], payload[48];
			provider_set_active(&s, "prices", was.price, 0);
			snprintf(job, sizeof(job), "stripe.reprice:%lld:%s", (long long)rowid,
			    made);
			snprintf(payload, sizeof(payload), "{\"plan\":%lld}", (long long)rowid);
			if (jobs_enqueue(c->db, "stripe.reprice", job, payload, clock_now_ms()) !=
			    ERR_OK)
				fprintf(stderr, "stripe: plan %lld: its subscriptions' move to %s "
				    "could not be queued\n", (long long)rowid, made);
		}
		/* Withdrawn, or offered again: so are its product and price. */
		if (active != (int)was.active) {
			provider_set_active(&s, "prices", made[0] ? made : was.price, active);
			provider_set_active(&s, "products", was.product, active);
		}
	}
	crud_restrict(&plans_entity, c->fields, out);
	json_send_data(c->resp, 200, out, NULL);
	return ERR_OK;
}

enum err
h_plans_delete(struct ctx *c)
{
	struct stripe s;
	struct stripe_plan was = { 0 };
	int64_t rowid;
	int stripe = stripe_from_config(&s);
	if (stripe && crud_resolve(c, &plans_entity, c->id, &rowid) == ERR_OK &&
	    stripe_plan_load(c->db, rowid, &was) == ERR_DB)
		return ERR_DB;
	enum err rc = h_crud_delete(c);
	if (rc == ERR_OK && stripe && was.product[0]) {
		provider_set_active(&s, "prices", was.price, 0);
		provider_set_active(&s, "products", was.product, 0);
	}
	return rc;
}
