#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "clock.h"
#include "crud.h"
#include "crypto.h"
#include "id.h"
#include "jobs.h"
#include "json.h"
#include "valid.h"
#include "merchants.h"

static const char *const statuses[] = { "pending", "deploying", "running", "failed",
    "stopped", "removed", NULL };
static const char *const healths[] = { "unknown", "healthy", "degraded", "down",
    NULL };

static const struct field backend_fields[] = {
	ENTITY_STD_FIELDS,
	{ "merchant", "merchant_id", FT_REF, F_FILTER | F_SORT, 0, 0, NULL, NULL,
	    "merchants" },
	{ "subdomain", "subdomain", FT_STRING, F_FILTER | F_SORT, 3, 63, NULL, NULL,
	    NULL },
	{ "status", "status", FT_ENUM, F_FILTER | F_SORT, 0, 0, statuses, NULL, NULL },
	{ "placement", "placement", FT_STRING, F_FILTER, 0, 255, NULL, NULL, NULL },
	{ "secret", "secret", FT_STRING, F_PRIVATE, 0, 64, NULL, NULL, NULL },
	{ "health", "health", FT_ENUM, F_FILTER | F_SORT, 0, 0, healths, NULL, NULL },
	{ "failures", "failures", FT_INT, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "lastProbeAt", "last_probe_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "lastStatus", "last_status", FT_INT, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "lastLatencyMs", "last_latency_ms", FT_INT, F_NULLABLE, 0, 0, NULL, NULL,
	    NULL },
	{ "uptime24hPercent", "uptime_24h", FT_INT, F_NULLABLE | F_SORT, 0, 0, NULL, NULL,
	    NULL },
	{ "latencyP50Ms", "latency_p50_ms", FT_INT, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "latencyP95Ms", "latency_p95_ms", FT_INT, F_NULLABLE, 0, 0, NULL, NULL, NULL },
};

static const struct relation backend_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
};

const struct entity backends_entity = {
	.name = "merchant-backends",
	.table = "merchant_backends",
	.fields = backend_fields,
	.nfields = sizeof(backend_fields) / sizeof(backend_fields[0]),
	.rels = backend_rels,
	.nrels = sizeof(backend_rels) / sizeof(backend_rels[0]),
	.scope_col = "merchant_id",
};

static const char *const actions[] = { "deploy", "redeploy", "restart", "stop",
    "start", "undeploy", NULL };
static const char *const dstatuses[] = { "queued", "running", "succeeded", "failed",
    NULL };

static const struct field deployment_fields[] = {
	ENTITY_STD_FIELDS,
	{ "backend", "backend_id", FT_REF, F_FILTER, 0, 0, NULL, NULL,
	    "merchant_backends" },
	{ "action", "action", FT_ENUM, F_FILTER, 0, 0, actions, NULL, NULL },
	{ "status", "status", FT_ENUM, F_FILTER, 0, 0, dstatuses, NULL, NULL },
	{ "message", "message", FT_TEXT, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "startedAt", "started_at", FT_DATETIME, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "finishedAt", "finished_at", FT_DATETIME, F_NULLABLE, 0, 0, NULL, NULL, NULL },
};

const struct entity deployments_entity = {
	.name = "backend-deployments",
	.table = "backend_deployments",
	.fields = deployment_fields,
	.nfields = sizeof(deployment_fields) / sizeof(deployment_fields[0]),
};

enum stmt_backends {
	STMT_BK_EXISTS,
	STMT_BK_INSERT,
	STMT_BK_DEPLOYMENT,
	STMT_BK_STATUS,
	STMT_BK_DEPLOYMENTS,
	STMT_BK_STEPS,
	STMT_BK_MERCHANT,
	STMT_BK_SECRET,
	STMT_BK_PLACED,
	STMT_BK_PLACE,
	STMT_BK__MAX
};

static const char *const stmts[STMT_BK__MAX] = {
	[STMT_BK_EXISTS] = "SELECT 1 FROM merchant_backends WHERE subdomain = ?",
	[STMT_BK_INSERT] = "INSERT INTO merchant_backends (document_id, merchant_id, "
	    "subdomain, secret, created_at, updated_at, published_at) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?5, ?5)",
	[STMT_BK_DEPLOYMENT] = "INSERT INTO backend_deployments (document_id, "
	    "backend_id, action, created_at, updated_at, published_at) VALUES (?1, ?2, "
	    "?3, ?4, ?4, ?4)",
	[STMT_BK_STATUS] = "SELECT status FROM merchant_backends WHERE id = ?",
	[STMT_BK_DEPLOYMENTS] = "SELECT id FROM backend_deployments WHERE backend_id = ? "
	    "ORDER BY id DESC LIMIT 50",
	[STMT_BK_STEPS] = "SELECT step, started_at, duration_ms, outcome, message FROM "
	    "deployment_steps WHERE deployment_id = ? ORDER BY id",
	[STMT_BK_MERCHANT] = "SELECT 1 FROM merchants WHERE id = ?",
	[STMT_BK_SECRET] = "SELECT secret FROM merchant_backends WHERE id = ?",
	[STMT_BK_PLACED] = "SELECT 1 FROM merchant_backends WHERE placement = ? AND "
	    "status != 'removed'",
	[STMT_BK_PLACE] = "UPDATE merchant_backends SET placement = ? WHERE id = ?",
};

/* Names a shop may not take: the platform's own, and what people expect
 * of a mail or web host. */
static const char *const reserved[] = { "www", "api", "admin", "administrator",
    "mail", "smtp", "imap", "pop", "ftp", "static", "assets", "cdn", "app", "apps",
    "platform", "marketplace", "dashboard", "status", "help", "support", "billing",
    "shop", "shops", "store", "login", "auth", "account", "root", "test", "dev",
    "staging", "localhost", "ns1", "ns2", "dns", "mx", "webmail", "blog", "docs",
    NULL };

const char *
backend_subdomain_refusal(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 63)
		return "subdomain must be 3 to 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return "subdomain may only hold a-z, 0-9 and hyphens (a DNS label)";
	if (s[0] == '-' || s[n - 1] == '-')
		return "subdomain must start and end with a letter or a digit";
	if (n >= 4 && s[2] == '-' && s[3] == '-')
		return "subdomain must not have hyphens in its 3rd and 4th places";
	for (const char *const *r = reserved; *r; r++)
		if (strcmp(s, *r) == 0)
			return "subdomain is reserved";
	return NULL;
}

const char *
backend_placement_refusal(const char *p)
{
	if (p == NULL)
		return "placement must be a string";
	if (strcmp(p, "local") == 0)
		return NULL;
	const char *colon = strrchr(p, ':');
	size_t hn = colon ? (size_t)(colon - p) : 0;
	if (colon == NULL || hn == 0 || hn > 253)
		return "placement must be \"local\" or HOST:PORT";
	for (size_t i = 0; i < hn; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '-' || p[i] == '.'))
			return "placement's host may only hold a-z, 0-9, dots and hyphens";
	if (p[0] == '.' || p[0] == '-' || p[hn - 1] == '.' || p[hn - 1] == '-' ||
	    memmem(p, hn, "..", 2) != NULL)
		return "placement's host must be a host name or an IPv4 address";
	int64_t port;
	if (valid_int(colon + 1, 1024, 65535, &port) != 0)
		return "placement's port must be a number from 1024 to 65535";
	return NULL;
}

enum err
backend_queue(struct db *db, int64_t id, const char *action, int64_t now,
    int64_t *deployment)
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25], key[48], payload[64];
	if (id_document_new(docid) != 0)
		return ERR_INTERNAL;
	clock_format_ms(now, ts);
	if (db_exec(db, stmts[STMT_BK_DEPLOYMENT], "siss", docid, id, action, ts) !=
	    ERR_OK)
		return ERR_DB;
	*deployment = sqlite3_last_insert_rowid(db_handle(db));
	snprintf(key, sizeof(key), "deployment:%lld", (long long)*deployment);
	snprintf(payload, sizeof(payload), "{\"deployment\":%lld}", (long long)*deployment);
	return jobs_enqueue(db, "backend.deploy", key, payload, now);
}

int
backend_check_subdomain(struct ctx *c, const char *path, const cJSON *v)
{
	int64_t one = 0;
	const char *why;
	if (!cJSON_IsString(v))
		verr_addf(&c->ve, path, v, "%s must be a string", path);
	else if ((why = backend_subdomain_refusal(v->valuestring)) != NULL)
		verr_add(&c->ve, path, why, v);
	else if (db_get(c->db, stmts[STMT_BK_EXISTS], "s", "I", v->valuestring, &one) ==
	    ERR_OK)
		verr_add(&c->ve, path, "subdomain is taken", v);
	else
		return 0;
	return -1;
}

enum err
backend_create(struct ctx *c, int64_t merchant, const cJSON *subdomain,
    const cJSON *placement, int64_t *id)
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25], secret[65];
	unsigned char key[32];
	int64_t one = 0, now = clock_now_ms();
	backend_check_subdomain(c, "subdomain", subdomain);
	const char *why;
	if (placement && (why = backend_placement_refusal(cJSON_GetStringValue(
	    placement))) != NULL)
		verr_add(&c->ve, "placement", why, placement);
	else if (placement && strcmp(placement->valuestring, "local") != 0 &&
	    db_get(c->db, stmts[STMT_BK_PLACED], "s", "I", placement->valuestring,
	    &one) == ERR_OK)
		verr_add(&c->ve, "placement", "another shop listens there", placement);
	if (merchant == 0 || db_get(c->db, stmts[STMT_BK_MERCHANT], "i", "I", merchant,
	    &one) != ERR_OK)
		verr_add(&c->ve, "merchant", "merchant must be an existing merchant", NULL);
	if (c->ve.n)
		return ERR_VALIDATION;
	if (id_random(key, sizeof(key)) != 0 || id_document_new(docid) != 0)
		return ERR_INTERNAL;
	crypto_hex(key, sizeof(key), secret);
	crypto_wipe(key, sizeof(key));
	clock_format_ms(now, ts);
	enum err rc = db_exec(c->db, stmts[STMT_BK_INSERT], "sisss", docid, merchant,
	    subdomain->valuestring, secret, ts);
	crypto_wipe(secret, sizeof(secret));
	if (rc == ERR_CONFLICT) {	/* taken meanwhile */
		verr_add(&c->ve, "subdomain", "subdomain is taken", subdomain);
		return ERR_VALIDATION;
	}
	if (rc != ERR_OK)
		return ERR_DB;
	*id = sqlite3_last_insert_rowid(db_handle(c->db));
	if (placement && db_exec(c->db, stmts[STMT_BK_PLACE], "si",
	    placement->valuestring, *id) != ERR_OK)
		return ERR_DB;
	return ERR_OK;
}

enum err
backend_ensure(struct db *db, int64_t merchant, const char *subdomain, int64_t now)
{
	char docid[DOCUMENT_ID_LEN + 1], ts[25], secret[65];
	unsigned char key[32];
	int64_t one = 0, dep;
	if (backend_subdomain_refusal(subdomain) != NULL)
		return ERR_INTERNAL;
	if (db_get(db, stmts[STMT_BK_EXISTS], "s", "I", subdomain, &one) == ERR_OK)
		return ERR_OK;
	if (id_random(key, sizeof(key)) != 0 || id_document_new(docid) != 0)
		return ERR_INTERNAL;
	crypto_hex(key, sizeof(key), secret);
	crypto_wipe(key, sizeof(key));
	clock_format_ms(now, ts);
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	enum err rc = db_exec(db, stmts[STMT_BK_INSERT], "sisss", docid, merchant,
	    subdomain, secret, ts);
	crypto_wipe(secret, sizeof(secret));
	if (rc == ERR_OK)
		rc = backend_queue(db, sqlite3_last_insert_rowid(db_handle(db)), "deploy",
		    now, &dep);
	if (rc != ERR_OK) {
		db_rollback(db);
		return ERR_DB;
	}
	return db_commit(db);
}

/* The record of backend id as the caller sees it, with where to follow
 * its deployment. */
static cJSON *
backend_json(struct ctx *c, int64_t id)
{
	char url[96];
	cJSON *o = crud_read(c, &backends_entity, id);
	if (o == NULL)
		return NULL;
	snprintf(url, sizeof(url), "/api/merchant-backends/%lld/deployment-status",
	    (long long)id);
	cJSON_AddStringToObject(o, "deploymentStatusUrl", url);
	return o;
}

enum err
h_backends_create(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	int64_t id, deployment;
	char secret[65] = "";
	enum err rc;
	if (data == NULL)
		return ERR_VALIDATION;
	const cJSON *it;
	cJSON_ArrayForEach(it, data)
		if (strcmp(it->string, "merchant") != 0 &&
		    strcmp(it->string, "subdomain") != 0 &&
		    strcmp(it->string, "placement") != 0)
			verr_addf(&c->ve, it->string, NULL, "Invalid key %s", it->string);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(data, "subdomain");
	int64_t merchant = crud_ref_id(c, "merchants",
	    cJSON_GetObjectItemCaseSensitive(data, "merchant"));
	/* A merchant deploys its own shop only. */
	if (c->caller.role == ROLE_MERCHANT && merchant != c->caller.merchant_id)
		verr_add(&c->ve, "merchant", "a merchant deploys its own shop", NULL);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if ((rc = backend_create(c, merchant, sub, cJSON_GetObjectItemCaseSensitive(data,
	    "placement"), &id)) != ERR_OK ||
	    (rc = backend_queue(c->db, id, "deploy", clock_now_ms(), &deployment)) !=
	    ERR_OK || (rc = crud_audit(c, "create", &backends_entity, id, NULL)) != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	/* The key is shown once, to whoever created the shop. */
	if (db_get(c->db, stmts[STMT_BK_SECRET], "i", "S", id, secret, sizeof(secret)) !=
	    ERR_OK) {
		db_rollback(c->db);
		return ERR_DB;
	}
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;
	cJSON *o = backend_json(c, id);
	if (o == NULL)
		return ERR_DB;
	/* fields[] shape the record; the key is shown whatever they say:
	 * this is the only time. */
	crud_restrict(&backends_entity, c->fields, o);
	cJSON_AddStringToObject(o, "ownerKey", secret);
	crypto_wipe(secret, sizeof(secret));
	json_send_data(c->resp, 201, o, NULL);
	return ERR_OK;
}

/* A deployment with its steps. */
static cJSON *
deployment_json(struct ctx *c, int64_t id)
{
	cJSON *d = crud_read(c, &deployments_entity, id);
	sqlite3_stmt *st;
	if (d == NULL || (st = db_bind(c->db, stmts[STMT_BK_STEPS], "i", id)) == NULL)
		return d;
	cJSON *steps = cJSON_AddArrayToObject(d, "steps");
	while (db_step(c->db, st) == DB_ROW) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "step", db_col_text(st, 0));
		cJSON_AddStringToObject(s, "startedAt", db_col_text(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			cJSON_AddNullToObject(s, "durationMs");
		else
			cJSON_AddNumberToObject(s, "durationMs",
			    (double)sqlite3_column_int64(st, 2));
		cJSON_AddStringToObject(s, "outcome", db_col_text(st, 3));
		cJSON_AddStringToObject(s, "message", db_col_text(st, 4));
		cJSON_AddItemToArray(steps, s);
	}
	db_done(st);
	return d;
}

cJSON *
backend_status(struct ctx *c, int64_t id)
{
	cJSON *b = backend_json(c, id);
	sqlite3_stmt *st;
	if (b == NULL)
		return NULL;
	if ((st = db_bind(c->db, stmts[STMT_BK_DEPLOYMENTS], "i", id)) == NULL) {
		cJSON_Delete(b);
		return NULL;
	}
	int64_t ids[50];
	int n = 0;
	while (n < 50 && db_step(c->db, st) == DB_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	db_done(st);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", cJSON_GetStringValue(cJSON_GetObjectItem(b,
	    "status")));
	cJSON_AddItemToObject(o, "backend", b);
	cJSON_AddItemToObject(o, "latest", n ? deployment_json(c, ids[0]) :
	    cJSON_CreateNull());
	cJSON *earlier = cJSON_AddArrayToObject(o, "earlier");
	for (int i = 1; i < n; i++) {
		cJSON *d = crud_read(c, &deployments_entity, ids[i]);
		if (d)
			cJSON_AddItemToArray(earlier, d);
	}
	return o;
}

enum err
h_backends_status(struct ctx *c)
{
	int64_t id;
	enum err rc = crud_resolve(c, &backends_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	cJSON *o = backend_status(c, id);
	if (o == NULL)
		return ERR_NOT_FOUND;
	json_send_data(c->resp, 200, o, NULL);
	return ERR_OK;
}

/* Queues action for the backend of the URL: 202 with the deployment. */
static enum err
act(struct ctx *c, const char *action)
{
	int64_t id, deployment;
	char status[16] = "";
	enum err rc = crud_resolve(c, &backends_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	if (db_get(c->db, stmts[STMT_BK_STATUS], "i", "S", id, status, sizeof(status)) !=
	    ERR_OK) {
		db_rollback(c->db);
		return ERR_DB;
	}
	if (strcmp(status, "removed") == 0) {
		db_rollback(c->db);
		c->err_msg = "This backend was removed";
		return ERR_CONFLICT;
	}
	if ((rc = backend_queue(c->db, id, action, clock_now_ms(), &deployment)) !=
	    ERR_OK || (rc = db_commit(c->db)) != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	cJSON *d = deployment_json(c, deployment);
	if (d == NULL)
		return ERR_DB;
	json_send_data(c->resp, 202, d, NULL);
	return ERR_OK;
}

enum err
h_backends_restart(struct ctx *c)
{
	return act(c, "restart");
}

enum err
h_backends_stop(struct ctx *c)
{
	return act(c, "stop");
}

enum err
h_backends_start(struct ctx *c)
{
	return act(c, "start");
}

enum err
h_backends_redeploy(struct ctx *c)
{
	return act(c, "redeploy");
}

enum err
h_backends_undeploy(struct ctx *c)
{
	return act(c, "undeploy");
}
