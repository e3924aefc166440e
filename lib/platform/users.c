#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "crypto.h"
#include "password.h"
#include "users.h"
#include "valid.h"
#include "merchants.h"
#include "tickets.h"

static const char *const roles[] = { "admin", "agent", "merchant", NULL };



static int
check_password(const cJSON *v, const char *name, struct verrs *ve)
{
	const char *why = password_weak(v->valuestring);
	if (why == NULL)
		return 0;
	verr_add(ve, name, why, NULL);
	return -1;
}

/* The role and the merchant go together: a merchant user has a merchant,
 * staff do not. */
static int
check_user(const cJSON *before, const cJSON *data, struct verrs *ve)
{
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(data, "role");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(data, "merchant");
	if (role == NULL && before)
		role = cJSON_GetObjectItemCaseSensitive(before, "role");
	if (m == NULL && before)
		m = cJSON_GetObjectItemCaseSensitive(before, "merchant");
	int merchant_role = cJSON_IsString(role) &&
	    strcmp(role->valuestring, "merchant") == 0;
	int has_merchant = m && !cJSON_IsNull(m);
	if (merchant_role && !has_merchant) {
		verr_add(ve, "merchant", "merchant must be defined for the merchant role",
		    NULL);
		return -1;
	}
	if (!merchant_role && has_merchant) {
		verr_add(ve, "merchant", "only merchant users belong to a merchant", NULL);
		return -1;
	}
	return 0;
}

static void
decorate_user(cJSON *o)
{
	/* Strapi's users-permissions fields. */
	cJSON_AddStringToObject(o, "provider", "local");
	cJSON_AddBoolToObject(o, "confirmed", 1);
}

static const struct field user_fields[] = {
	ENTITY_STD_FIELDS,
	{ "username", "username", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER |
	    F_SORT | F_UNIQUE, 3, 254, NULL, NULL, NULL },
	{ "email", "email", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT |
	    F_UNIQUE, 3, 254, NULL, valid_check_email, NULL },
	{ "name", "name", FT_STRING, F_WRITABLE | F_NULLABLE | F_FILTER | F_SORT,
	    0, 200, NULL, NULL, NULL },
	{ "password", "password_hash", FT_STRING, F_REQUIRED | F_WRITABLE |
	    F_PRIVATE | F_PASSWORD, 1, 256, NULL, check_password, NULL },
	{ "role", "role", FT_ENUM, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, roles, NULL, NULL },
	{ "merchant", "merchant_id", FT_REF, F_WRITABLE | F_NULLABLE | F_FILTER,
	    0, 0, NULL, NULL, "merchants" },
	{ "blocked", "blocked", FT_BOOL, F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, NULL, NULL, NULL },
	{ "lastLoginAt", "last_login_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
};

static const struct relation user_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
	{ "requestedTickets", &tickets_entity, "requester_id", REL_MANY },
	{ "assignedTickets", &tickets_entity, "assignee_id", REL_MANY },
};

const struct entity users_entity = {
	.name = "users",
	.table = "users",
	.fields = user_fields,
	.nfields = sizeof(user_fields) / sizeof(user_fields[0]),
	.rels = user_rels,
	.nrels = sizeof(user_rels) / sizeof(user_rels[0]),
	.scope_col = NULL,
	.check_record = check_user,
	.decorate = decorate_user,
};

cJSON *
users_read(struct ctx *c, int64_t id)
{
	return crud_read(c, &users_entity, id);
}

enum err
h_users_unlock(struct ctx *c)
{
	int64_t id;
	enum err rc = crud_resolve(c, &users_entity, c->id, &id);
	if (rc != ERR_OK || (rc = db_begin(c->db)) != ERR_OK)
		return rc;
	cJSON *before = crud_read(c, &users_entity, id);
	if ((rc = auth_unlock(c->db, id, NULL)) != ERR_OK ||
	    (rc = crud_audit(c, "update", &users_entity, id, before)) != ERR_OK ||
	    (rc = db_commit(c->db)) != ERR_OK) {
		db_rollback(c->db);
		cJSON_Delete(before);
		return rc;
	}
	cJSON_Delete(before);
	cJSON *after = users_read(c, id);
	if (after == NULL)
		return ERR_DB;
	crud_restrict(&users_entity, c->fields, after);
	json_send_data(c->resp, 200, after, NULL);
	return ERR_OK;
}

enum stmt_users {
	STMT_USERS_INSERT,
	STMT_USERS_EXISTS,
	STMT_USERS__MAX
};

static const char *const stmts[STMT_USERS__MAX] = {
	[STMT_USERS_INSERT] = "INSERT INTO users (document_id, email, username, "
	    "name, password_hash, role, merchant_id, created_at, updated_at, "
	    "published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_USERS_EXISTS] = "SELECT id FROM users WHERE email = ?1 OR username = ?1",
};

enum err
db_users_create(struct db *db, const char *email, const char *name,
    const char *password, const char *role, int64_t merchant_id, int64_t *id,
    const char **why)
{
	char hash[PASSWORD_HASH_MAX], docid[DOCUMENT_ID_LEN + 1], now[25];
	*why = NULL;
	if (!valid_email(email)) {
		*why = "not a valid e-mail address";
		return ERR_VALIDATION;
	}
	if ((*why = password_weak(password)) != NULL)
		return ERR_VALIDATION;
	if (auth_role_bit(role) == 0 || (strcmp(role, "merchant") == 0) !=
	    (merchant_id != 0)) {
		*why = "a role is admin, agent, or merchant with a merchant";
		return ERR_VALIDATION;
	}
	if (password_hash(password, hash) != 0 || id_document_new(docid) != 0)
		return ERR_INTERNAL;
	clock_format_ms(clock_now_ms(), now);
	if (db_begin(db) != ERR_OK)
		return ERR_DB;
	int64_t found = 0;
	enum err e = db_get(db, stmts[STMT_USERS_EXISTS], "s", "I", email, &found);
	if (e == ERR_OK) {
		db_rollback(db);
		*why = "a user with this e-mail exists";
		return ERR_CONFLICT;
	}
	if (e != ERR_NOT_FOUND || db_exec(db, stmts[STMT_USERS_INSERT], "ssssssrsss",
	    docid, email, email, name, hash, role, merchant_id, now, now, now) != ERR_OK)
		goto fail;
	if (id)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return db_commit(db);
fail:
	db_rollback(db);
	return ERR_DB;
}

enum err
h_auth_local(struct ctx *c)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(c->body, "identifier");
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(c->body, "password");
	char jwt[JWT_MAX_LEN];
	struct jwt_subject who;
	enum err rc;

	if (!cJSON_IsObject(c->body)) {
		c->err_msg = "The body must be {\"identifier\", \"password\"}";
		return ERR_VALIDATION;
	}
	if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
	    strlen(id->valuestring) > 254)
		verr_add(&c->ve, "identifier", "identifier is a required field", NULL);
	if (!cJSON_IsString(pw) || pw->valuestring[0] == '\0' ||
	    strlen(pw->valuestring) > PASSWORD_MAX_LEN)
		verr_add(&c->ve, "password", "password is a required field", NULL);
	if (c->ve.n)
		return ERR_VALIDATION;
	if ((rc = auth_sign_in(c, id->valuestring, pw->valuestring, &who)) != ERR_OK)
		return rc;
	if (auth_jwt_issue(&who, jwt) != 0)
		return ERR_INTERNAL;
	cJSON *user = users_read(c, who.user_id);
	if (user == NULL)
		return ERR_DB;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "jwt", jwt);
	cJSON_AddItemToObject(root, "user", user);
	c->resp->status = 200;
	json_write(c->resp, root);
	cJSON_Delete(root);
	crypto_wipe(jwt, sizeof(jwt));
	return ERR_OK;
}

enum err
h_users_me(struct ctx *c)
{
	if (c->caller.user_id == 0) {
		c->err_msg = "An API token has no user";
		return ERR_FORBIDDEN;
	}
	cJSON *user = users_read(c, c->caller.user_id);
	if (user == NULL)
		return ERR_NOT_FOUND;
	/* Strapi answers /users/me with the bare user object. */
	c->resp->status = 200;
	json_write(c->resp, user);
	cJSON_Delete(user);
	return ERR_OK;
}
