#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "backends.h"
#include "clock.h"
#include "crud.h"
#include "invoices.h"
#include "json.h"
#include "merchants.h"
#include "onboard.h"
#include "provider.h"
#include "stripe.h"
#include "subscriptions.h"
#include "users.h"
#include "valid.h"

enum stmt_onboard {
	STMT_OB_PLAN,
	STMT_OB_DROP_BACKEND,
	STMT_OB_DROP_USER,
	STMT_OB_DROP_MERCHANT,
	STMT_OB__MAX
};

static const char *const stmts[STMT_OB__MAX] = {
	[STMT_OB_PLAN] = "SELECT active, trial_days FROM subscription_plans WHERE id = ?",
	[STMT_OB_DROP_BACKEND] = "DELETE FROM merchant_backends WHERE id = ?",
	[STMT_OB_DROP_USER] = "DELETE FROM users WHERE id = ?",
	[STMT_OB_DROP_MERCHANT] = "DELETE FROM merchants WHERE id = ?",
};

/* The members each part of the body may have. */
static const char *const top_keys[] = { "owner", "merchant", "plan", "subdomain",
    NULL };
static const char *const owner_keys[] = { "email", "password", "name", "username",
    NULL };
static const char *const merchant_keys[] = { "name", "slug", "email", "phone",
    "company", "vatNumber", "country", "address", "language", NULL };

static int
listed(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

/* Names each member of o that keys does not list, under prefix. */
static void
refuse_unknown(struct ctx *c, const cJSON *o, const char *const *keys,
    const char *prefix)
{
	const cJSON *it;
	char path[160];
	cJSON_ArrayForEach(it, o)
		if (!listed(keys, it->string)) {
			snprintf(path, sizeof(path), "%s%s%.100s", prefix, *prefix ? "." : "",
			    it->string);
			verr_addf(&c->ve, path, NULL, "Invalid key %.100s", it->string);
		}
}

/* Puts prefix before the path of the errors from the from-th on. */
static void
prefix_errors(struct ctx *c, int from, const char *prefix)
{
	for (int i = from; i < c->ve.n; i++) {
		cJSON *path = cJSON_GetObjectItem(cJSON_GetArrayItem(c->ve.errors, i), "path");
		if (cJSON_IsArray(path))
			cJSON_InsertItemInArray(path, 0, cJSON_CreateString(prefix));
	}
}

/* Sets member k of o to a copy of the string v unless o has it; returns
 * 1 when it did. */
static int
default_to(cJSON *o, const char *k, const cJSON *v)
{
	if (!cJSON_IsString(v) || cJSON_GetObjectItemCaseSensitive(o, k) != NULL)
		return 0;
	cJSON_AddStringToObject(o, k, v->valuestring);
	return 1;
}

/* The path of error e as "a.b". */
static void
path_of(const cJSON *e, char *out, size_t n)
{
	const cJSON *p;
	size_t w = 0;
	out[0] = '\0';
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(e, "path"))
		if (cJSON_IsString(p) && w < n)
			w += (size_t)snprintf(out + w, n - w, "%s%s", w ? "." : "",
			    p->valuestring);
}

/* Errors about a defaulted member (defaulted[i] set) are about the
 * member it came from: moved there, and said once per member. */
static const struct { const char *copy, *source[2]; } defaults[] = {
	{ "owner.username", { "owner", "email" } },
	{ "merchant.slug", { "subdomain", NULL } },
	{ "merchant.email", { "owner", "email" } },
};

static void
move_defaulted(struct ctx *c, const int defaulted[3])
{
	char path[160], seen[16][160];
	int nseen = 0;
	for (int i = 0; i < c->ve.n; i++) {
		cJSON *e = cJSON_GetArrayItem(c->ve.errors, i);
		path_of(e, path, sizeof(path));
		for (int k = 0; k < 3; k++)
			if (defaulted[k] && strcmp(path, defaults[k].copy) == 0) {
				cJSON *p = cJSON_CreateArray();
				for (int j = 0; j < 2 && defaults[k].source[j]; j++)
					cJSON_AddItemToArray(p, cJSON_CreateString(
					    defaults[k].source[j]));
				cJSON_ReplaceItemInObjectCaseSensitive(e, "path", p);
				path_of(e, path, sizeof(path));
			}
		int dup = 0;
		for (int j = 0; j < nseen; j++)
			dup |= strcmp(seen[j], path) == 0;
		if (dup) {
			cJSON_DeleteItemFromArray(c->ve.errors, i--);
			c->ve.n--;
		} else if (nseen < 16)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", path);
	}
}

/* Checks one part (prefix: "owner", "merchant") as a record of e about to
 * be created: its fields, then its unique values. Sets *out to the
 * prepared copy (caller deletes) when it is valid. */
static enum err
check_part(struct ctx *c, const struct entity *e, const cJSON *part,
    const char *prefix, cJSON **out)
{
	int from = c->ve.n;
	enum err rc = crud_prepare(c, e, part, 1, out);
	/* The record's own rules (a merchant's VAT number and country); the
	 * owner's tie to its merchant is made when both are written. */
	if (rc == ERR_OK && e->check_record && e != &users_entity &&
	    e->check_record(NULL, *out, &c->ve) != 0)
		rc = ERR_VALIDATION;
	if (rc == ERR_OK)
		rc = crud_check_unique(c, e, *out, 0);
	prefix_errors(c, from, prefix);
	return rc;
}

/* Removes record id of e (statement drop), audited as a delete when the
 * caller's changes are (its creation was). */
static enum err
drop(struct ctx *c, const struct entity *e, const char *drop, int64_t id)
{
	cJSON *before = audit_wanted(c) ? crud_read(c, e, id) : NULL;
	enum err rc = db_exec(c->db, drop, "i", id);
	if (rc == ERR_OK && before)
		rc = audit_record(c, "delete", e, id, cJSON_GetStringValue(
		    cJSON_GetObjectItem(before, "documentId")), before, NULL);
	cJSON_Delete(before);
	return rc;
}

/* Undoes a committed onboarding that Stripe refused: the backend, the
 * owner and the merchant go (no deployment was queued yet). */
static void
undo(struct ctx *c, const struct onboarded *o)
{
	if (db_begin(c->db) != ERR_OK)
		return;
	if (drop(c, &backends_entity, stmts[STMT_OB_DROP_BACKEND], o->backend) != ERR_OK ||
	    drop(c, &users_entity, stmts[STMT_OB_DROP_USER], o->user) != ERR_OK ||
	    drop(c, &merchants_entity, stmts[STMT_OB_DROP_MERCHANT], o->merchant) !=
	    ERR_OK || db_commit(c->db) != ERR_OK)
		db_rollback(c->db);
}

/* Writes the merchant, its owner and its backend (inside the caller's
 * transaction). */
static enum err
write_records(struct ctx *c, cJSON *merchant, cJSON *user, const cJSON *subdomain,
    struct onboarded *o)
{
	cJSON *m = NULL, *u = NULL;
	int from = c->ve.n;
	/* Refusals found only now (a value taken meanwhile) name the part. */
	enum err rc = crud_write(c, &merchants_entity, merchant, 0, &m);
	prefix_errors(c, from, "merchant");
	if (rc != ERR_OK)
		return rc;
	o->merchant = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(m, "id"));
	cJSON_Delete(m);
	cJSON_AddNumberToObject(user, "merchant", (double)o->merchant);
	from = c->ve.n;
	rc = crud_write(c, &users_entity, user, 0, &u);
	prefix_errors(c, from, "owner");
	if (rc != ERR_OK)
		return rc;
	o->user = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(u, "id"));
	cJSON_Delete(u);
	if ((rc = backend_create(c, o->merchant, subdomain, NULL, &o->backend)) != ERR_OK)
		return rc;
	return crud_audit(c, "create", &backends_entity, o->backend, NULL);
}

/* The subscription through Stripe, once the records are committed (no
 * network call inside a transaction); then the deployment. */
static enum err
subscribe_stripe(struct ctx *c, const struct stripe *s, int64_t plan, int trial,
    struct onboarded *o)
{
	enum err rc = provider_subscribe(c, s, o->merchant, plan, trial, &o->subscription);
	if (rc != ERR_OK) {
		undo(c, o);
		return rc;
	}
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = crud_audit(c, "create", &subscriptions_entity, o->subscription,
	    NULL)) != ERR_OK || (rc = backend_queue(c->db, o->backend, "deploy",
	    clock_now_ms(), &o->deployment)) != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	return db_commit(c->db);
}

enum err
onboard(struct ctx *c, const cJSON *data, struct onboarded *out)
{
	const cJSON *owner = cJSON_GetObjectItemCaseSensitive(data, "owner");
	const cJSON *merchant = cJSON_GetObjectItemCaseSensitive(data, "merchant");
	const cJSON *jp = cJSON_GetObjectItemCaseSensitive(data, "plan");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(data, "subdomain");
	cJSON *user = NULL, *shop = NULL, *u = NULL, *m = NULL;
	int64_t plan = 0, active = 0, trial_days = 0, now = clock_now_ms();
	enum err rc = ERR_VALIDATION;
	int defaulted[3] = { 0 };

	memset(out, 0, sizeof(*out));
	refuse_unknown(c, data, top_keys, "");
	if (!cJSON_IsObject(owner))
		verr_add(&c->ve, "owner", "owner must be an object", NULL);
	if (!cJSON_IsObject(merchant))
		verr_add(&c->ve, "merchant", "merchant must be an object", NULL);
	if (cJSON_IsObject(owner)) {
		refuse_unknown(c, owner, owner_keys, "owner");
		user = cJSON_Duplicate(owner, 1);
		defaulted[0] = default_to(user, "username", cJSON_GetObjectItem(owner,
		    "email"));
		cJSON_AddStringToObject(user, "role", "merchant");
		check_part(c, &users_entity, user, "owner", &u);
	}
	if (cJSON_IsObject(merchant)) {
		refuse_unknown(c, merchant, merchant_keys, "merchant");
		shop = cJSON_Duplicate(merchant, 1);
		defaulted[1] = default_to(shop, "slug", sub);
		if (cJSON_IsObject(owner))
			defaulted[2] = default_to(shop, "email", cJSON_GetObjectItem(owner,
			    "email"));
		check_part(c, &merchants_entity, shop, "merchant", &m);
	}
	if (jp == NULL)
		verr_add(&c->ve, "plan", "plan must be defined.", NULL);
	else if ((plan = crud_ref_id(c, "subscription_plans", jp)) == 0 ||
	    db_get(c->db, stmts[STMT_OB_PLAN], "i", "II", plan, &active, &trial_days) !=
	    ERR_OK)
		verr_add(&c->ve, "plan", "plan does not exist", jp);
	else if (!active)
		verr_add(&c->ve, "plan", "this plan is not offered any more", jp);
	backend_check_subdomain(c, "subdomain", sub);
	move_defaulted(c, defaulted);
	if (c->ve.n)
		goto done;
	if (u == NULL || m == NULL) {	/* refused for another reason (403) */
		rc = ERR_FORBIDDEN;
		goto done;
	}

	struct stripe stripe;
	int by_stripe = stripe_from_config(&stripe);
	if ((rc = db_begin(c->db)) != ERR_OK)
		goto done;
	if ((rc = write_records(c, m, u, sub, out)) != ERR_OK)
		goto rollback;
	if (by_stripe) {
		if ((rc = db_commit(c->db)) != ERR_OK)
			goto done;
		rc = subscribe_stripe(c, &stripe, plan, (int)trial_days, out);
		goto done;
	}
	struct seller sel;
	char why[160];
	seller_from_config(&sel);
	if ((rc = subscription_start(c->db, &sel, out->merchant, plan, now,
	    &out->subscription, why)) != ERR_OK) {
		if (rc == ERR_CONFLICT)
			c->err_msg = arena_strdup(&c->req->arena, why);
		goto rollback;
	}
	if ((rc = crud_audit(c, "create", &subscriptions_entity, out->subscription,
	    NULL)) != ERR_OK || (rc = backend_queue(c->db, out->backend, "deploy", now,
	    &out->deployment)) != ERR_OK)
		goto rollback;
	rc = db_commit(c->db);
	goto done;
rollback:
	db_rollback(c->db);
done:
	cJSON_Delete(user);
	cJSON_Delete(shop);
	cJSON_Delete(u);
	cJSON_Delete(m);
	if (rc != ERR_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

cJSON *
onboard_json(struct ctx *c, const struct onboarded *o)
{
	char url[96];
	/* As the owner sees them, whoever onboarded. */
	struct caller saved = c->caller;
	if (c->caller.role != ROLE_ADMIN) {
		c->caller.role = ROLE_MERCHANT;
		c->caller.merchant_id = o->merchant;
		c->caller.user_id = o->user;
	}
	cJSON *part[] = { users_read(c, o->user),
	    crud_read(c, &merchants_entity, o->merchant),
	    crud_read(c, &subscriptions_entity, o->subscription),
	    crud_read(c, &backends_entity, o->backend),
	    crud_read(c, &deployments_entity, o->deployment) };
	static const char *const names[] = { "user", "merchant", "subscription",
	    "backend", "deployment" };
	cJSON *r = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (part[i] == NULL || !cJSON_AddItemToObject(r, names[i], part[i])) {
			cJSON_Delete(part[i]);
			cJSON_Delete(r);
			r = NULL;
			for (size_t j = i + 1; j < sizeof(part) / sizeof(part[0]); j++)
				cJSON_Delete(part[j]);
			break;
		}
	c->caller = saved;
	if (r == NULL)
		return NULL;
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/deployment-status",
	    (long long)o->backend);
	cJSON_AddStringToObject(r, "deploymentStatusUrl", url);
	return r;
}

enum err
h_onboard(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	struct onboarded o;
	if (data == NULL)
		return ERR_VALIDATION;
	enum err rc = onboard(c, data, &o);
	if (rc != ERR_OK)
		return rc;
	cJSON *r = onboard_json(c, &o);
	if (r == NULL)
		return ERR_DB;
	json_send_data(c->resp, 201, r, NULL);
	return ERR_OK;
}
