#include <stdio.h>
#include <string.h>

#include "checkout.h"
#include "clock.h"
#include "config.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "merchants.h"
#include "page.h"
#include "provider.h"
#include "subscriptions.h"

enum stmt_checkout {
	STMT_CO_INSERT,
	STMT_CO_FORGET,
	STMT_CO_SESSION,
	STMT_CO_UNFINISHED,
	STMT_CO_ABANDON,
	STMT_CO_BY_SESSION,
	STMT_CO_FINISH,
	STMT_CO_LINK,
	STMT_CO_EXPIRED,
	STMT_CO_CUSTOMER,
	STMT_CO__MAX
};

static const char *const stmts[STMT_CO__MAX] = {
	[STMT_CO_INSERT] = "INSERT INTO subscriptions (document_id, merchant_id, plan_id, "
	    "status, created_at, updated_at, published_at) VALUES (?, ?, ?, 'pending', "
	    "?, ?, ?)",
	[STMT_CO_FORGET] = "DELETE FROM subscriptions WHERE id = ? AND "
	    "stripe_subscription_id IS NULL",
	[STMT_CO_SESSION] = "UPDATE subscriptions SET stripe_checkout_session_id = ? "
	    "WHERE id = ?",
	[STMT_CO_UNFINISHED] = "SELECT id, stripe_checkout_session_id FROM subscriptions "
	    "WHERE merchant_id = ? AND status = 'pending' AND stripe_subscription_id IS "
	    "NULL AND stripe_checkout_session_id IS NOT NULL",
	[STMT_CO_ABANDON] = "UPDATE subscriptions SET status = 'cancelled', "
	    "cancelled_at = ?, cancellation_reason = ?, updated_at = ? WHERE id = ? AND "
	    "status = 'pending' AND stripe_subscription_id IS NULL",
	[STMT_CO_BY_SESSION] = "SELECT id, merchant_id FROM subscriptions WHERE "
	    "stripe_checkout_session_id = ?",
	[STMT_CO_FINISH] = "UPDATE subscriptions SET stripe_subscription_id = ?, "
	    "status = ?, current_period_start = coalesce(?, current_period_start), "
	    "current_period_end = coalesce(?, current_period_end), trial_end = ?, "
	    "updated_at = ? WHERE id = ? AND stripe_subscription_id IS NULL",
	[STMT_CO_LINK] = "UPDATE subscriptions SET stripe_subscription_id = ?, "
	    "updated_at = ? WHERE document_id = ? AND stripe_subscription_id IS NULL",
	[STMT_CO_EXPIRED] = "UPDATE subscriptions SET status = 'cancelled', "
	    "cancelled_at = ?, cancellation_reason = 'checkout expired', updated_at = ? "
	    "WHERE document_id = ? AND status = 'pending' AND stripe_subscription_id IS "
	    "NULL",
	[STMT_CO_CUSTOMER] = "SELECT coalesce(stripe_customer_id, '') FROM merchants "
	    "WHERE id = ?",
};

/* The platform's own address, as merchants' browsers reach it. */
static void
base_url(char *out, size_t n)
{
	const struct config *cfg = config();
	if (cfg->https_port == 443)
		snprintf(out, n, "https://%s", cfg->server_name);
	else
		snprintf(out, n, "https://%s:%d", cfg->server_name, cfg->https_port);
}

/* The merchant's dashboard, as the caller opens it (an admin names the
 * merchant), with a message of the catalogue. */
static void
dashboard_url(struct ctx *c, int64_t merchant, const char *flash, char *out, size_t n)
{
	char base[300];
	base_url(base, sizeof(base));
	if (c->caller.role == ROLE_MERCHANT)
		snprintf(out, n, "%s/marketplace/merchant-dashboard.html%s%s", base,
		    flash ? "?flash=" : "", flash ? flash : "");
	else
		snprintf(out, n, "%s/marketplace/merchant-dashboard.html?merchant=%lld%s%s",
		    base, (long long)merchant, flash ? "&flash=" : "", flash ? flash : "");
}

static enum err
refused(struct ctx *c, enum err rc, struct stripe_reply *r)
{
	ctx_error(c, "%s", r->error[0] ? r->error : "Stripe could not be reached");
	cJSON_Delete(r->json);
	return rc == ERR_VALIDATION ? ERR_CONFLICT : ERR_UNAVAILABLE;
}

enum err
checkout_start(struct ctx *c, const struct stripe *s, int64_t merchant, int64_t plan,
    int trial_days, struct checkout *out)
{
	char now[25], base[300], ok[400], back[400], trial[16], key[64];
	struct provider_parts p;
	struct stripe_reply r;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = provider_parts(c, s, merchant, plan, &p)) != ERR_OK)
		return rc;
	char *doc = p.doc;
	/* The place of the subscription, held while the merchant is on
	 * Stripe's page: nobody starts another meanwhile. */
	clock_format_ms(clock_now_ms(), now);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = db_exec(c->db, stmts[STMT_CO_INSERT], "siisss", doc, merchant, plan, now,
	    now, now)) != ERR_OK) {
		db_rollback(c->db);
		if (rc == ERR_CONFLICT)
			c->err_msg = "This merchant already has a live subscription";
		return rc == ERR_CONFLICT ? rc : ERR_DB;
	}
	out->subscription = sqlite3_last_insert_rowid(db_handle(c->db));
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;

	base_url(base, sizeof(base));
	snprintf(ok, sizeof(ok), "%s/marketplace/checkout/return?session_id="
	    "{CHECKOUT_SESSION_ID}", base);
	dashboard_url(c, merchant, "FLASH_CHECKOUT_CANCELLED", back, sizeof(back));
	snprintf(trial, sizeof(trial), "%d", trial_days);
	struct kv form[12] = { { "mode", "subscription" }, { "customer", p.customer },
	    { "line_items[0][price]", p.price }, { "line_items[0][quantity]", "1" },
	    { "client_reference_id", doc }, { "metadata[subscription]", doc },
	    { "subscription_data[metadata][subscription]", doc },
	    { "success_url", ok }, { "cancel_url", back } };
	size_t n = 9;
	if (trial_days > 0)
		form[n++] = (struct kv){ "subscription_data[trial_period_days]", trial };
	if (p.tax_rate[0])
		form[n++] = (struct kv){ "subscription_data[default_tax_rates][0]",
		    p.tax_rate };
	snprintf(key, sizeof(key), "checkout-%s", doc);
	rc = stripe_call(s, "POST", "/v1/checkout/sessions", form, n, key, &r);
	if (rc != ERR_OK) {
		/* Nothing at Stripe: the held place is given back. */
		rc = refused(c, rc, &r);
		if (db_exec(c->db, stmts[STMT_CO_FORGET], "i", out->subscription) != ERR_OK)
			fprintf(stderr, "checkout: pending subscription %lld not removed\n",
			    (long long)out->subscription);
		return rc;
	}
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "id"));
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "url"));
	snprintf(out->session, sizeof(out->session), "%s", id ? id : "");
	snprintf(out->url, sizeof(out->url), "%s", url ? url : "");
	cJSON_Delete(r.json);
	return db_exec(c->db, stmts[STMT_CO_SESSION], "si", out->session,
	    out->subscription) == ERR_OK ? ERR_OK : ERR_DB;
}

enum err
checkout_abandon(struct ctx *c, const struct stripe *s, int64_t merchant,
    int *abandoned)
{
	char session[128] = "", path[192], now[25];
	int64_t id = 0;
	struct stripe_reply r;
	*abandoned = 0;
	enum err rc = db_get(c->db, stmts[STMT_CO_UNFINISHED], "i", "IS", merchant, &id,
	    session, sizeof(session));
	if (rc == ERR_NOT_FOUND)
		return ERR_OK;
	if (rc != ERR_OK)
		return ERR_DB;
	snprintf(path, sizeof(path), "/v1/checkout/sessions/%s", session);
	if ((rc = stripe_call(s, "GET", path, NULL, 0, NULL, &r)) != ERR_OK)
		return refused(c, rc, &r);
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status"));
	int open = status && strcmp(status, "open") == 0;
	int complete = status && strcmp(status, "complete") == 0;
	cJSON_Delete(r.json);
	if (complete)
		return ERR_OK;	/* paid: its subscription is on its way */
	if (open) {
		snprintf(path, sizeof(path), "/v1/checkout/sessions/%s/expire", session);
		char key[160];
		snprintf(key, sizeof(key), "checkout-expire-%s", session);
		if ((rc = stripe_call(s, "POST", path, NULL, 0, key, &r)) != ERR_OK)
			return refused(c, rc, &r);
		cJSON_Delete(r.json);
	}
	clock_format_ms(clock_now_ms(), now);
	if (db_exec(c->db, stmts[STMT_CO_ABANDON], "sssi", now, "checkout abandoned", now,
	    id) != ERR_OK)
		return ERR_DB;
	*abandoned = 1;
	return ERR_OK;
}


/* A time of a subscription: on it, or (2025-03-31 on) on its first item. */
static const char *
sub_time(const cJSON *sub, const char *key, char out[25])
{
	const cJSON *v = cJSON_GetObjectItem(sub, key);
	if (!cJSON_IsNumber(v))
		v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(sub, "items"), "data"), 0), key);
	if (!cJSON_IsNumber(v) || v->valuedouble <= 0)
		return NULL;
	clock_format_ms((int64_t)v->valuedouble * 1000, out);
	return out;
}

static int
valid_session_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 4 || n > 120 || strncmp(id, "cs_", 3) != 0)
		return 0;
	for (size_t i = 3; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
			return 0;
	return 1;
}

enum err
h_checkout_return(struct ctx *c)
{
	struct stripe s;
	struct stripe_reply r;
	char path[256], to[600], a[25], b[25], t[25], now[25];
	int64_t id = 0, merchant = 0;
	const char *session = http_param(c->req, "session_id");
	if (!valid_session_id(session)) {
		verr_add(&c->ve, "session_id", "session_id must be a Stripe Checkout "
		    "Session id (cs_...)", NULL);
		return ERR_VALIDATION;
	}
	enum err rc = db_get(c->db, stmts[STMT_CO_BY_SESSION], "s", "II", session, &id,
	    &merchant);
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && c->caller.role == ROLE_MERCHANT &&
	    merchant != c->caller.merchant_id))
		return ERR_NOT_FOUND;
	if (rc != ERR_OK)
		return ERR_DB;
	const char *flash = "FLASH_CHECKOUT_PENDING";
	if (stripe_from_config(&s)) {
		snprintf(path, sizeof(path), "/v1/checkout/sessions/%s?expand%%5B%%5D="
		    "subscription", session);
		if (stripe_call(&s, "GET", path, NULL, 0, NULL, &r) == ERR_OK) {
			const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(r.json,
			    "status"));
			const cJSON *sub = cJSON_GetObjectItem(r.json, "subscription");
			const char *sid = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "id"));
			if (status && strcmp(status, "complete") == 0 && sid) {
				clock_format_ms(clock_now_ms(), now);
				/* Unless a webhook told it first. */
				rc = db_exec(c->db, stmts[STMT_CO_FINISH], "ssssssi", sid,
				    provider_status(cJSON_GetStringValue(cJSON_GetObjectItem(sub,
				    "status"))), sub_time(sub, "current_period_start", a),
				    sub_time(sub, "current_period_end", b), sub_time(sub,
				    "trial_end", t), now, id);
				flash = rc == ERR_OK ? "FLASH_CHECKOUT_DONE" :
				    "FLASH_CHECKOUT_PENDING";
			} else if (status && strcmp(status, "open") == 0)
				flash = "FLASH_CHECKOUT_UNFINISHED";
			else if (status && strcmp(status, "expired") == 0)
				flash = "FLASH_CHECKOUT_CANCELLED";
		} else
			fprintf(stderr, "checkout: session %s not read: %s\n", session,
			    r.error);
		cJSON_Delete(r.json);
	}
	dashboard_url(c, merchant, flash, to, sizeof(to));
	/* A path of ours, not the absolute address. */
	const char *local = strstr(to, "/marketplace/");
	page_redirect(c, arena_strdup(&c->req->arena, local ? local : to));
	return ERR_OK;
}

enum err
h_merchants_billing_portal(struct ctx *c)
{
	struct stripe s;
	struct stripe_reply r;
	char cus[128] = "", back[400], key[64];
	int64_t merchant;
	enum err rc = crud_resolve(c, &merchants_entity, c->id, &merchant);
	if (rc != ERR_OK)
		return rc;
	if (!stripe_from_config(&s)) {
		c->err_msg = "The customer portal is Stripe's: Stripe is not the billing "
		    "provider";
		return ERR_CONFLICT;
	}
	if ((rc = db_get(c->db, stmts[STMT_CO_CUSTOMER], "i", "S", merchant, cus,
	    sizeof(cus))) != ERR_OK)
		return rc == ERR_NOT_FOUND ? rc : ERR_DB;
	if (cus[0] == '\0') {
		c->err_msg = "This merchant has no Stripe customer yet: it gets one at its "
		    "first subscription";
		return ERR_CONFLICT;
	}
	dashboard_url(c, merchant, NULL, back, sizeof(back));
	struct kv form[] = { { "customer", cus }, { "return_url", back } };
	snprintf(key, sizeof(key), "portal-%lld-%lld", (long long)merchant,
	    (long long)clock_now_ms());
	if ((rc = stripe_call(&s, "POST", "/v1/billing_portal/sessions", form, 2, key,
	    &r)) != ERR_OK)
		return refused(c, rc, &r);
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "url"));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "url", url ? url : "");
	cJSON_Delete(r.json);
	json_send_data(c->resp, 201, o, NULL);
	return ERR_OK;
}

enum err
checkout_on_event(struct db *db, const char *type, const cJSON *obj, int64_t now,
    struct stripe_outcome *out)
{
	char ts[25];
	const char *doc = cJSON_GetStringValue(cJSON_GetObjectItem(obj,
	    "client_reference_id"));
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(obj, "mode"));
	if (mode == NULL || strcmp(mode, "subscription") != 0 || doc == NULL) {
		out->ignored = "not a checkout of the platform";
		return ERR_OK;
	}
	clock_format_ms(now, ts);
	enum err rc;
	if (strcmp(type, "checkout.session.completed") == 0) {
		const cJSON *sub = cJSON_GetObjectItem(obj, "subscription");
		const char *sid = cJSON_IsString(sub) ? sub->valuestring :
		    cJSON_GetStringValue(cJSON_GetObjectItem(sub, "id"));
		if (sid == NULL) {
			snprintf(out->unmapped, sizeof(out->unmapped), "a completed checkout "
			    "without a subscription");
			return ERR_OK;
		}
		rc = db_exec(db, stmts[STMT_CO_LINK], "sss", sid, ts, doc);
	} else
		rc = db_exec(db, stmts[STMT_CO_EXPIRED], "sss", ts, ts, doc);
	if (rc != ERR_OK)
		return ERR_DB;
	if (sqlite3_changes(db_handle(db)) == 0)
		out->ignored = "nothing left to do for this checkout";
	return ERR_OK;
}
