#include "clock.h"
#include "id.h"
#include "outbox.h"
#include "merchants.h"

static const char *const statuses[] = { "queued", "sent", "failed", NULL };

static const struct field outbox_fields[] = {
	ENTITY_STD_FIELDS,
	{ "kind", "kind", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "recipient", "recipient", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "subject", "subject", FT_STRING, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "body", "body", FT_TEXT, 0, 0, 0, NULL, NULL, NULL },
	{ "merchant", "merchant_id", FT_REF, F_FILTER | F_NULLABLE, 0, 0, NULL, NULL,
	    "merchants" },
	{ "related", "related", FT_STRING, F_FILTER | F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "status", "status", FT_ENUM, F_FILTER | F_SORT, 0, 0, statuses, NULL, NULL },
	{ "attempts", "attempts", FT_INT, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "sentAt", "sent_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE, 0, 0, NULL,
	    NULL, NULL },
};

static const struct relation outbox_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
};

const struct entity outbox_entity = {
	.name = "email-outbox",
	.table = "email_outbox",
	.fields = outbox_fields,
	.nfields = sizeof(outbox_fields) / sizeof(outbox_fields[0]),
	.rels = outbox_rels,
	.nrels = sizeof(outbox_rels) / sizeof(outbox_rels[0]),
};

enum stmt_outbox {
	STMT_OUTBOX_PUT,
	STMT_OUTBOX__MAX
};

static const char *const stmts[STMT_OUTBOX__MAX] = {
	[STMT_OUTBOX_PUT] = "INSERT INTO email_outbox (document_id, kind, recipient, "
	    "subject, body, merchant_id, related, created_at, updated_at, published_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
};

enum err
outbox_queue(struct db *db, const char *kind, const char *to,
    const char *subject, const char *body, int64_t merchant_id,
    const char *related, int64_t now_ms)
{
	char docid[DOCUMENT_ID_LEN + 1], now[25];
	if (id_document_new(docid) != 0)
		return ERR_INTERNAL;
	clock_format_ms(now_ms, now);
	return db_exec(db, stmts[STMT_OUTBOX_PUT], "sssssrssss", docid, kind, to, subject,
	    body, merchant_id, related, now, now, now) == ERR_OK ? ERR_OK : ERR_DB;
}
