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

static const char put_sql[] = "INSERT INTO audit_logs (document_id, actor_id, "
    "actor, actor_role, action, content_type, record_id, record_document_id, "
    "before, after, request_id, created_at, updated_at, published_at) VALUES "
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

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
	sqlite3_stmt *st = db_stmt(c->db, put_sql);
	if (st == NULL)
		return ERR_DB;
	char *b = before ? cJSON_PrintUnformatted(before) : NULL;
	char *a = after ? cJSON_PrintUnformatted(after) : NULL;
	int n = 1;
	db_bind_text(st, n++, docid);
	db_bind_ref(st, n++, c->caller.user_id);
	db_bind_text(st, n++, c->caller.name);
	db_bind_text(st, n++, c->caller.via == AUTH_TOKEN ? "api-token" :
	    auth_role_name(c->caller.role));
	db_bind_text(st, n++, action);
	db_bind_text(st, n++, e->name);
	db_bind_int(st, n++, id);
	db_bind_text(st, n++, document_id);
	db_bind_text(st, n++, b);
	db_bind_text(st, n++, a);
	db_bind_text(st, n++, c->req->request_id);
	db_bind_text(st, n++, now);
	db_bind_text(st, n++, now);
	db_bind_text(st, n++, now);
	enum db_rc r = db_step(c->db, st);
	sqlite3_reset(st);
	free(b);
	free(a);
	return r == DB_DONE ? ERR_OK : ERR_DB;
}
