#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "id.h"
#include "invoices.h"
#include "provider.h"

enum stmt_prov {
	STMT_PROV_PLAN,
	STMT_PROV_MERCHANT,
	STMT_PROV_SET_CUSTOMER,
	STMT_PROV_INSERT,
	STMT_PROV_UPDATE,
	STMT_PROV_LIVE,
	STMT_PROV_TAX_RATE,
	STMT_PROV_TAX_RATE_SET,
	STMT_PROV_PLAN_SUBS,
	STMT_PROV__MAX
};

static const char *const stmts[STMT_PROV__MAX] = {
	[STMT_PROV_PLAN] = "SELECT stripe_price_id FROM subscription_plans WHERE id = ?",
	[STMT_PROV_MERCHANT] = "SELECT stripe_customer_id, email, name, document_id "
	    "FROM merchants WHERE id = ?",
	[STMT_PROV_SET_CUSTOMER] = "UPDATE merchants SET stripe_customer_id = ? "
	    "WHERE id = ? AND stripe_customer_id IS NULL",
	[STMT_PROV_INSERT] = "INSERT INTO subscriptions (document_id, merchant_id, "
	    "plan_id, status, current_period_start, current_period_end, trial_end, "
	    "stripe_subscription_id, created_at, updated_at, published_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_PROV_UPDATE] = "UPDATE subscriptions SET status = ?, "
	    "cancel_at_period_end = ?, cancelled_at = ?, cancellation_reason = "
	    "CASE ? WHEN 1 THEN NULL ELSE coalesce(?, cancellation_reason) END, "
	    "plan_id = ?, current_period_start = "
	    "coalesce(?, current_period_start), current_period_end = "
	    "coalesce(?, current_period_end), updated_at = ? WHERE id = ?",
	[STMT_PROV_LIVE] = "SELECT plan_id FROM subscriptions WHERE id = ?",
	[STMT_PROV_TAX_RATE] = "SELECT stripe_id FROM stripe_tax_rates WHERE rate_bps = ?",
	[STMT_PROV_PLAN_SUBS] = "SELECT stripe_subscription_id FROM subscriptions WHERE "
	    "plan_id = ? AND status != 'cancelled' AND stripe_subscription_id IS NOT NULL "
	    "ORDER BY id",
	[STMT_PROV_TAX_RATE_SET] = "INSERT OR IGNORE INTO stripe_tax_rates (rate_bps, "
	    "stripe_id, created_at) VALUES (?, ?, ?)",
};

const char *
provider_status(const char *s)
{
	const char *ours = stripe_status(s);
	return ours ? ours : "pending";
}

static const char *
ts_of(const cJSON *o, const char *k, char out[25])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || v->valuedouble <= 0)
		return NULL;
	clock_format_ms((int64_t)v->valuedouble * 1000, out);
	return out;
}

/* Reports a Stripe failure to the caller: 4xx are the caller's to fix. */
static enum err
failed(struct ctx *c, enum err rc, const struct stripe_reply *r)
{
	ctx_error(c, "%s", r->error[0] ? r->error : "Stripe could not be reached");
	return rc == ERR_VALIDATION ? ERR_CONFLICT : ERR_UNAVAILABLE;
}

/* Makes an object at Stripe (POST path with form under the idempotency
 * key) and keeps its id in out; Stripe's refusal is the caller's error. */
static enum err
made(struct ctx *c, const struct stripe *s, const char *path, const struct kv *form,
    size_t n, const char *key, char out[128])
{
	struct stripe_reply r;
	enum err rc = stripe_call(s, "POST", path, form, n, key, &r);
	if (rc == ERR_OK) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id"));
		snprintf(out, 128, "%s", id ? id : "");
	} else
		rc = failed(c, rc, &r);
	cJSON_Delete(r.json);
	return rc;
}

/* The price of a plan at Stripe, in its unit of the currency: -1 (and a
 * 400 naming priceCents) for an amount Stripe cannot charge. */
static int64_t
stripe_unit(struct ctx *c, int64_t cents, const char *currency, const cJSON *value,
    char cur[8])
{
	snprintf(cur, 8, "eur");
	if (currency && strlen(currency) == 3)
		for (int i = 0; i < 3; i++)
			cur[i] = (char)(currency[i] | 0x20);
	int64_t unit = stripe_amount_to(cur, cents);
	if (unit < 0)
		verr_add(&c->ve, "priceCents", "priceCents must be a whole number of units "
		    "in a currency without decimals (JPY: 500 yen is 50000)", value);
	return unit;
}

enum err
provider_price(struct ctx *c, const struct stripe *s, const char *product,
    int64_t cents, const char *currency, const char *interval, const char *idem,
    const cJSON *value, char out[128])
{
	char amount[32], cur[8];
	int64_t unit = stripe_unit(c, cents, currency, value, cur);
	if (unit < 0)
		return ERR_VALIDATION;
	snprintf(amount, sizeof(amount), "%lld", (long long)unit);
	struct kv price[] = { { "product", (char *)product }, { "unit_amount", amount },
	    { "currency", cur }, { "recurring[interval]",
	    (char *)(interval ? interval : "month") } };
	return made(c, s, "/v1/prices", price, 4, idem, out);
}

enum err
provider_plan(struct ctx *c, const struct stripe *s, cJSON *data,
    const char *idem_base)
{
	char key[96], cur[8], price[128], prod[128];
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(data, "name"));
	const char *interval = cJSON_GetStringValue(cJSON_GetObjectItem(data, "interval"));
	const char *currency = cJSON_GetStringValue(cJSON_GetObjectItem(data, "currency"));
	const cJSON *cents = cJSON_GetObjectItem(data, "priceCents");
	/* Checked before anything is made at Stripe. */
	if (stripe_unit(c, (int64_t)cJSON_GetNumberValue(cents), currency, cents, cur) < 0)
		return ERR_VALIDATION;
	struct kv product[] = { { "name", (char *)(name ? name : "") },
	    { "metadata[platform]", "marketplace" } };
	snprintf(key, sizeof(key), "%s-product", idem_base);
	enum err rc = made(c, s, "/v1/products", product, 2, key, prod);
	if (rc != ERR_OK)
		return rc;
	snprintf(key, sizeof(key), "%s-price", idem_base);
	if ((rc = provider_price(c, s, prod, (int64_t)cJSON_GetNumberValue(cents), currency,
	    interval, key, cents, price)) != ERR_OK)
		return rc;
	cJSON_AddStringToObject(data, "stripeProductId", prod);
	cJSON_AddStringToObject(data, "stripePriceId", price);
	return ERR_OK;
}

enum err
provider_set_active(const struct stripe *s, const char *what, const char *id,
    int active)
{
	struct stripe_reply r;
	char path[192], key[192];
	if (id == NULL || id[0] == '\0')
		return ERR_OK;
	snprintf(path, sizeof(path), "/v1/%s/%s", what, id);
	snprintf(key, sizeof(key), "%s-%s-%s-%lld", what, id, active ? "on" : "off",
	    (long long)clock_now_ms());
	struct kv form[] = { { "active", active ? "true" : "false" } };
	enum err rc = stripe_call(s, "POST", path, form, 1, key, &r);
	if (rc != ERR_OK)
		fprintf(stderr, "stripe: %s %s could not be %s: %s\n", what, id, active ?
		    "restored" : "archived", r.error);
	cJSON_Delete(r.json);
	return rc;
}

enum err
provider_reprice(struct db *db, const struct stripe *s, int64_t plan)
{
	char price[128] = "", path[160], key[320];
	char (*subs)[128] = NULL;
	size_t n = 0, cap = 0;
	enum err rc = db_get(db, stmts[STMT_PROV_PLAN], "i", "S", plan, price, sizeof(price));
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && price[0] == '\0'))
		return ERR_OK;	/* deleted since, or never at Stripe */
	if (rc != ERR_OK)
		return ERR_DB;
	/* The subscriptions first, the network after: no statement open
	 * across a call to Stripe. */
	sqlite3_stmt *st = db_bind(db, stmts[STMT_PROV_PLAN_SUBS], "i", plan);
	if (st == NULL)
		return ERR_DB;
	while (db_step(db, st) == DB_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			void *p = realloc(subs, cap * sizeof(*subs));
			if (p == NULL)
				break;
			subs = p;
		}
		snprintf(subs[n++], sizeof(subs[0]), "%s", db_col_text(st, 0));
	}
	db_done(st);
	rc = ERR_OK;
	for (size_t i = 0; i < n; i++) {
		struct stripe_reply r;
		snprintf(path, sizeof(path), "/v1/subscriptions/%s", subs[i]);
		if (stripe_call(s, "GET", path, NULL, 0, NULL, &r) != ERR_OK) {
			fprintf(stderr, "stripe: subscription %s not read: %s\n", subs[i], r.error);
			cJSON_Delete(r.json);
			rc = ERR_UNAVAILABLE;
			continue;
		}
		const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    r.json, "items"), "data"), 0);
		const char *iid = cJSON_GetStringValue(cJSON_GetObjectItem(item, "id"));
		const char *now = cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(item, "price"), "id"));
		char item_id[128];
		snprintf(item_id, sizeof(item_id), "%s", iid ? iid : "");
		int moved = now && strcmp(now, price) == 0;
		cJSON_Delete(r.json);
		if (moved || item_id[0] == '\0')
			continue;
		/* From the next period on: what was paid for stays paid. */
		struct kv form[] = { { "items[0][id]", item_id }, { "items[0][price]", price },
		    { "proration_behavior", "none" } };
		snprintf(key, sizeof(key), "subscription-%s-price-%s", subs[i], price);
		if (stripe_call(s, "POST", path, form, 3, key, &r) != ERR_OK) {
			fprintf(stderr, "stripe: subscription %s not moved to %s: %s\n", subs[i],
			    price, r.error);
			rc = ERR_UNAVAILABLE;
		}
		cJSON_Delete(r.json);
	}
	free(subs);
	return rc;
}

enum err
provider_customer(struct ctx *c, const struct stripe *s, int64_t merchant, char out[128])
{
	char email[256], name[256], doc[32], key[96];
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_PROV_MERCHANT], "i", merchant);
	if (st == NULL)
		return ERR_DB;
	if (db_step(c->db, st) != DB_ROW) {
		db_done(st);
		return ERR_NOT_FOUND;
	}
	snprintf(out, 128, "%s", db_col_text(st, 0));
	snprintf(email, sizeof(email), "%s", db_col_text(st, 1));
	snprintf(name, sizeof(name), "%s", db_col_text(st, 2));
	snprintf(doc, sizeof(doc), "%s", db_col_text(st, 3));
	db_done(st);
	if (out[0])
		return ERR_OK;
	struct kv form[] = { { "email", email }, { "name", name },
	    { "metadata[merchant]", doc } };
	snprintf(key, sizeof(key), "merchant-%s-customer", doc);
	enum err rc = made(c, s, "/v1/customers", form, 3, key, out);
	if (rc != ERR_OK)
		return rc;
	if ((st = db_bind(c->db, stmts[STMT_PROV_SET_CUSTOMER], "si", out, merchant)) == NULL)
		return ERR_DB;
	enum db_rc dr = db_step(c->db, st);
	db_done(st);
	return dr == DB_DONE ? ERR_OK : ERR_DB;
}

enum err
provider_tax_rate(struct ctx *c, const struct stripe *s, int64_t merchant,
    char out[128])
{
	struct seller sel;
	int bps;
	char pct[16], key[48], now[25];
	out[0] = '\0';
	seller_from_config(&sel);
	enum err rc = invoice_vat_rate(c->db, &sel, merchant, &bps);
	if (rc != ERR_OK || bps == 0)
		return rc;
	rc = db_get(c->db, stmts[STMT_PROV_TAX_RATE], "i", "S", (int64_t)bps, out, 128);
	if (rc != ERR_NOT_FOUND)
		return rc == ERR_OK ? ERR_OK : ERR_DB;
	/* 2000 basis points are "20", 550 are "5.5". */
	int n = snprintf(pct, sizeof(pct), "%d.%02d", bps / 100, bps % 100);
	while (pct[n - 1] == '0')
		pct[--n] = '\0';
	if (pct[n - 1] == '.')
		pct[--n] = '\0';
	struct kv form[] = { { "display_name", "TVA" }, { "percentage", pct },
	    { "inclusive", "false" }, { "country", "FR" },
	    { "description", "TVA française (plateforme)" },
	    { "metadata[platform]", "marketplace" } };
	snprintf(key, sizeof(key), "tax-rate-%d", bps);
	if ((rc = made(c, s, "/v1/tax_rates", form, 6, key, out)) != ERR_OK)
		return rc;
	/* Made once: another worker's, made at the same time, is the same
	 * (the same idempotency key). */
	clock_format_ms(clock_now_ms(), now);
	return db_exec(c->db, stmts[STMT_PROV_TAX_RATE_SET], "iss", (int64_t)bps, out, now) ==
	    ERR_OK ? ERR_OK : ERR_DB;
}

/* Undoes at Stripe a subscription the platform could not record: nothing
 * may bill that nobody here knows of. */
static void
undo_subscription(const struct stripe *s, const char *stripe_id, const char *why)
{
	struct stripe_reply r;
	char path[160];
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", stripe_id);
	enum err rc = stripe_call(s, "DELETE", path, NULL, 0, NULL, &r);
	fprintf(stderr, "stripe: subscription %s made but not recorded (%s): %s\n",
	    stripe_id, why, rc == ERR_OK ? "cancelled at Stripe" :
	    "COULD NOT BE CANCELLED at Stripe, cancel it by hand");
	cJSON_Delete(r.json);
}

enum err
provider_parts(struct ctx *c, const struct stripe *s, int64_t merchant, int64_t plan,
    struct provider_parts *p)
{
	enum err rc = db_get(c->db, stmts[STMT_PROV_PLAN], "i", "S", plan, p->price,
	    sizeof(p->price));
	if (rc != ERR_OK)
		return rc == ERR_NOT_FOUND ? rc : ERR_DB;
	if (p->price[0] == '\0') {
		c->err_msg = "This plan has no Stripe price: create it again with Stripe on";
		return ERR_CONFLICT;
	}
	if ((rc = provider_customer(c, s, merchant, p->customer)) != ERR_OK ||
	    (rc = provider_tax_rate(c, s, merchant, p->tax_rate)) != ERR_OK)
		return rc;
	return id_document_new(p->doc) == 0 ? ERR_OK : ERR_INTERNAL;
}

enum err
provider_subscribe(struct ctx *c, const struct stripe *s, int64_t merchant,
    int64_t plan, int trial_days, int64_t *id)
{
	char trial[16], key[96], a[25], b[25], t[25], now[25], sid[128];
	struct provider_parts p;
	struct stripe_reply r;
	enum err rc;

	if ((rc = provider_parts(c, s, merchant, plan, &p)) != ERR_OK)
		return rc;
	const char *doc = p.doc;
	snprintf(trial, sizeof(trial), "%d", trial_days);
	/* Stripe charges the VAT our invoice will say (none for a reverse
	 * charge or outside the EU). */
	struct kv form[5] = { { "customer", p.customer }, { "items[0][price]", p.price },
	    { "metadata[subscription]", (char *)doc } };
	size_t n = 3;
	if (p.tax_rate[0])
		form[n++] = (struct kv){ "default_tax_rates[0]", p.tax_rate };
	if (trial_days > 0)
		form[n++] = (struct kv){ "trial_period_days", trial };
	snprintf(key, sizeof(key), "subscription-%s", doc);
	rc = stripe_call(s, "POST", "/v1/subscriptions", form, n, key, &r);
	if (rc != ERR_OK) {
		rc = failed(c, rc, &r);
		cJSON_Delete(r.json);
		return rc;
	}
	const char *made = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id"));
	snprintf(sid, sizeof(sid), "%s", made ? made : "");
	clock_format_ms(clock_now_ms(), now);
	if ((rc = db_begin(c->db)) == ERR_OK) {
		rc = db_exec(c->db, stmts[STMT_PROV_INSERT], "siissssssss", doc, merchant,
		    plan, provider_status(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status"))),
		    ts_of(r.json, "current_period_start", a), ts_of(r.json,
		    "current_period_end", b), ts_of(r.json, "trial_end", t), sid, now, now,
		    now);
		if (rc == ERR_OK) {
			*id = sqlite3_last_insert_rowid(db_handle(c->db));
			rc = db_commit(c->db);
		} else
			db_rollback(c->db);
	}
	cJSON_Delete(r.json);
	if (rc == ERR_OK)
		return ERR_OK;
	/* Made at Stripe, refused here (another subscription started
	 * meanwhile, or the database failed): undone at Stripe. */
	undo_subscription(s, sid, rc == ERR_CONFLICT ? "a live subscription started "
	    "meanwhile" : "database error");
	if (rc == ERR_CONFLICT) {
		c->err_msg = "This merchant already has a live subscription";
		return ERR_CONFLICT;
	}
	return ERR_DB;
}

enum err
provider_update(struct ctx *c, const struct stripe *s, int64_t sub,
    const char *stripe_id, int immediately, int undo, int64_t plan,
    const char *reason)
{
	char path[160], key[128], now[25], a[25], b[25], cx[25], price[128] = "";
	struct stripe_reply r;
	enum err rc;
	int64_t plan_id = plan;

	snprintf(path, sizeof(path), "/v1/subscriptions/%s", stripe_id);
	clock_format_ms(clock_now_ms(), now);
	if (plan) {
		/* The item to change: Stripe's subscription says which. */
		sqlite3_stmt *st = db_bind(c->db, stmts[STMT_PROV_PLAN], "i", plan);
		if (st == NULL)
			return ERR_DB;
		if (db_step(c->db, st) == DB_ROW)
			snprintf(price, sizeof(price), "%s", db_col_text(st, 0));
		db_done(st);
		if ((rc = stripe_call(s, "GET", path, NULL, 0, NULL, &r)) != ERR_OK) {
			rc = failed(c, rc, &r);
			cJSON_Delete(r.json);
			return rc;
		}
		char item[128];
		const char *iid = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "items"), "data"), 0),
		    "id"));
		snprintf(item, sizeof(item), "%s", iid ? iid : "");
		cJSON_Delete(r.json);
		struct kv form[] = { { "items[0][id]", item }, { "items[0][price]", price },
		    { "proration_behavior", "create_prorations" } };
		snprintf(key, sizeof(key), "subscription-%s-plan-%lld-%s", stripe_id,
		    (long long)plan, now);
		rc = stripe_call(s, "POST", path, form, 3, key, &r);
	} else if (immediately) {
		rc = stripe_call(s, "DELETE", path, NULL, 0, NULL, &r);
	} else {
		struct kv form[] = { { "cancel_at_period_end", undo ? "false" : "true" } };
		snprintf(key, sizeof(key), "subscription-%s-%s-%s", stripe_id,
		    undo ? "reactivate" : "cancel", now);
		rc = stripe_call(s, "POST", path, form, 1, key, &r);
	}
	if (rc != ERR_OK) {
		rc = failed(c, rc, &r);
		cJSON_Delete(r.json);
		return rc;
	}
	/* Stripe's answer is the truth: store it. */
	if (plan_id == 0) {
		if (db_get(c->db, stmts[STMT_PROV_LIVE], "i", "I", sub, &plan_id) == ERR_DB) {
			cJSON_Delete(r.json);
			return ERR_DB;
		}
	}
	const char *status = provider_status(cJSON_GetStringValue(cJSON_GetObjectItem(r.json,
	    "status")));
	/* Reactivated: no reason to cancel any more, as the built-in engine
	 * says. */
	rc = db_exec(c->db, stmts[STMT_PROV_UPDATE], "sisisisssi", status,
	    (int64_t)cJSON_IsTrue(cJSON_GetObjectItem(r.json, "cancel_at_period_end")),
	    strcmp(status, "cancelled") == 0 ? (ts_of(r.json, "canceled_at", cx) ? cx :
	    now) : NULL, (int64_t)(undo != 0), reason, plan_id,
	    ts_of(r.json, "current_period_start", a),
	    ts_of(r.json, "current_period_end", b), now, sub);
	cJSON_Delete(r.json);
	return rc == ERR_OK ? ERR_OK : ERR_DB;
}
