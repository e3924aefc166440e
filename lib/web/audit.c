#include <stdlib.h>

#include "audit.h"
#include "clock.h"
#include "id.h"

static const char *const actions[] = { "create", "update", "delete", NULL };

static const struct field audit_fields[] = {
	ENTITY_STD_FIELDS,
	{ "actorId", "actor_id", FT_INT, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "actor", "actor", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "actorRole", "actor_role", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL,
	    NULL, NULL },
	{ "action", "action", FT_ENUM, F_FILTER | F_SORT, 0, 0, actions, NULL, NULL },
	{ "contentType", "content_type", FT_STRING, F_FILTER | F_SORT, 0, 0,
	    NULL, NULL, NULL },
	{ "recordId", "record_id", FT_INT, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "recordDocumentId", "record_document_id", FT_STRING, F_FILTER |
	    F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "before", "before", FT_JSON, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "after", "after", FT_JSON, F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "requestId", "request_id", FT_STRING, F_FILTER | F_NULLABLE, 0, 0,
	    NULL, NULL, NULL },
};

const struct entity audit_entity = {
	.name = "audit-logs",
	.table = "audit_logs",
	.fields = audit_fields,
	.nfields = sizeof(audit_fields) / sizeof(audit_fields[0]),
};

enum stmt_audit {
	STMT_AUDIT_PUT,
	STMT_AUDIT__MAX
};

static const char *const stmts[STMT_AUDIT__MAX] = {
	[STMT_AUDIT_PUT] = "INSERT INTO audit_logs (document_id, actor_id, actor, "
	    "actor_role, action, content_type, record_id, record_document_id, before, "
	    "after, request_id, created_at, updated_at, published_at) VALUES (?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

int
audit_wanted(const struct ctx *c)
{
	return (c->caller.role & (ROLE_ADMIN | ROLE_AGENT)) != 0;
}

enum err
audit_record(struct ctx *c, const char *action, const struct entity *e,
    int64_t id, const char *document_id, const cJSON *before, const cJSON *after)
{
	char docid[DOCUMENT_ID_LEN + 1], now[25];
	if (id_document_new(docid) != 0)
		return ERR_INTERNAL;
	clock_format_ms(clock_now_ms(), now);
	char *b = before ? cJSON_PrintUnformatted(before) : NULL;
	char *a = after ? cJSON_PrintUnformatted(after) : NULL;
	enum err rc = db_exec(c->db, stmts[STMT_AUDIT_PUT], "srssssisssssss", docid,
	    c->caller.user_id, c->caller.name, c->caller.via == AUTH_TOKEN ? "api-token" :
	    auth_role_name(c->caller.role), action, e->name, id, document_id, b, a,
	    c->req->request_id, now, now, now);
	free(b);
	free(a);
	return rc == ERR_OK ? ERR_OK : ERR_DB;
}
