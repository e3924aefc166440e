#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crud.h"
#include "id.h"
#include "json.h"
#include "msg.h"
#include "outbox.h"
#include "sla.h"
#include "tickets.h"
#include "valid.h"
#include "merchants.h"
#include "users.h"

static const char *const categories[] = { "technical", "billing", "account", NULL };
static const char *const priorities[] = { "low", "medium", "high", "urgent", NULL };
static const char *const statuses[] = { "open", "in_progress",
    "waiting_on_merchant", "resolved", "closed", NULL };

/* A column added here is added to the merchant's view of the table too
 * (support_tickets_as_merchant in schema.sql). */
static const struct field ticket_fields[] = {
	ENTITY_STD_FIELDS,
	{ "reference", "reference", FT_STRING, F_FILTER | F_SORT, 0, 0, NULL, NULL, NULL },
	{ "merchant", "merchant_id", FT_REF, F_FILTER, 0, 0, NULL, NULL, "merchants" },
	{ "requester", "requester_id", FT_REF, F_FILTER | F_NULLABLE, 0, 0, NULL, NULL,
	    "users" },
	{ "subject", "subject", FT_STRING, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    3, 200, NULL, NULL, NULL },
	{ "description", "description", FT_TEXT, F_REQUIRED | F_WRITABLE | F_FILTER,
	    1, 10000, NULL, NULL, NULL },
	{ "category", "category", FT_ENUM, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, categories, NULL, NULL },
	{ "priority", "priority", FT_ENUM, F_REQUIRED | F_WRITABLE | F_FILTER | F_SORT,
	    0, 0, priorities, NULL, NULL },
	{ "status", "status", FT_ENUM, F_WRITABLE | F_FILTER | F_SORT, 0, 0, statuses,
	    NULL, NULL },
	{ "assignee", "assignee_id", FT_REF, F_FILTER | F_NULLABLE, 0, 0, NULL, NULL,
	    "users" },
	{ "firstResponseAt", "first_response_at", FT_DATETIME, F_FILTER | F_SORT |
	    F_NULLABLE, 0, 0, NULL, NULL, NULL },
	{ "firstResponseDueAt", "first_response_due_at", FT_DATETIME, F_FILTER | F_SORT,
	    0, 0, NULL, NULL, NULL },
	{ "resolvedAt", "resolved_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "closedAt", "closed_at", FT_DATETIME, F_FILTER | F_SORT | F_NULLABLE,
	    0, 0, NULL, NULL, NULL },
	{ "timeSpentMinutes", "time_spent_minutes", FT_INT, F_FILTER | F_SORT, 0, 0,
	    NULL, NULL, NULL },
};

static const struct relation ticket_rels[] = {
	{ "merchant", &merchants_entity, "merchant_id", REL_ONE },
	{ "requester", &users_entity, "requester_id", REL_ONE },
	{ "assignee", &users_entity, "assignee_id", REL_ONE },
	{ "responses", &responses_entity, "ticket_id", REL_MANY },
};

const struct entity tickets_entity = {
	.name = "support-tickets",
	.table = "support_tickets",
	/* Merchants read the ticket without what internal notes did to it. */
	.merchant_view = "support_tickets_as_merchant",
	.fields = ticket_fields,
	.nfields = sizeof(ticket_fields) / sizeof(ticket_fields[0]),
	.rels = ticket_rels,
	.nrels = sizeof(ticket_rels) / sizeof(ticket_rels[0]),
	.scope_col = "merchant_id",
};

static const struct field response_fields[] = {
	ENTITY_STD_FIELDS,
	{ "ticket", "ticket_id", FT_REF, F_FILTER, 0, 0, NULL, NULL, "support_tickets" },
	{ "author", "author_id", FT_REF, F_FILTER | F_NULLABLE, 0, 0, NULL, NULL, "users" },
	{ "authorRole", "author_role", FT_STRING, F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "body", "body", FT_TEXT, F_REQUIRED | F_WRITABLE | F_FILTER, 1, 20000, NULL, NULL,
	    NULL },
	{ "internal", "internal", FT_BOOL, F_WRITABLE | F_FILTER, 0, 0, NULL, NULL, NULL },
	{ "timeSpentMinutes", "time_spent_minutes", FT_INT, F_WRITABLE | F_FILTER |
	    F_SORT, 0, 10000, NULL, NULL, NULL },
};

static const struct relation response_rels[] = {
	{ "ticket", &tickets_entity, "ticket_id", REL_ONE },
	{ "author", &users_entity, "author_id", REL_ONE },
};

const struct entity responses_entity = {
	.name = "ticket-responses",
	.table = "ticket_responses",
	.fields = response_fields,
	.nfields = sizeof(response_fields) / sizeof(response_fields[0]),
	.rels = response_rels,
	.nrels = sizeof(response_rels) / sizeof(response_rels[0]),
	/* Merchants never read an internal note. */
	.merchant_view = "ticket_responses_as_merchant",
	.scope_col = "merchant_id",
};

/* The state machine. */
static const struct { const char *from, *to; } moves[] = {
	{ "open", "in_progress" }, { "open", "waiting_on_merchant" },
	{ "open", "resolved" }, { "open", "closed" },
	{ "in_progress", "open" }, { "in_progress", "waiting_on_merchant" },
	{ "in_progress", "resolved" }, { "in_progress", "closed" },
	{ "waiting_on_merchant", "open" }, { "waiting_on_merchant", "in_progress" },
	{ "waiting_on_merchant", "resolved" }, { "waiting_on_merchant", "closed" },
	{ "resolved", "open" }, { "resolved", "closed" },
};

int
tickets_may_move(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
			return 1;
	return 0;
}

const char *
tickets_allowed_moves(const char *from)
{
	static char out[128];
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0) {
			if (out[0])
				strcat(out, ", ");
			strcat(out, moves[i].to);
		}
	return out;
}

enum stmt_tk {
	STMT_TK_NUMBER,
	STMT_TK_INSERT,
	STMT_TK_FTS,
	STMT_TK_GET,
	STMT_TK_SET_STATUS,
	STMT_TK_SET_FIELDS,
	STMT_TK_ASSIGNEE,
	STMT_TK_SET_ASSIGNEE,
	STMT_TK_RESPONSE,
	STMT_TK_AFTER_REPLY,
	STMT_TK_FTS_DELETE,
	STMT_TK_DELETE,
	STMT_TK_AUTOCLOSE,
	STMT_TK_ROUND_ROBIN,
	STMT_TK_AGENTS,
	STMT_TK_MERCHANT,
	STMT_TK_USER_EMAIL,
	STMT_TK__MAX
};

static const char *const stmts[STMT_TK__MAX] = {
	/* One gapless series for all tickets (year 0 of the "TCK" counter). */
	[STMT_TK_NUMBER] = "INSERT INTO invoice_counters (series, year, last) VALUES "
	    "('TCK', 0, 1) ON CONFLICT (series, year) DO UPDATE SET last = last + 1 "
	    "RETURNING last",
	[STMT_TK_INSERT] = "INSERT INTO support_tickets (document_id, reference, "
	    "merchant_id, requester_id, subject, description, category, priority, "
	    "first_response_due_at, created_at, updated_at, public_updated_at, "
	    "published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, "
	    "?10)",
	[STMT_TK_FTS] = "INSERT INTO support_tickets_fts (rowid, subject, description) "
	    "SELECT id, subject, description FROM support_tickets WHERE id IN "
	    "(SELECT value FROM json_each(?)) ORDER BY id",
	[STMT_TK_GET] = "SELECT status, merchant_id, first_response_at FROM "
	    "support_tickets WHERE id = ?",
	[STMT_TK_SET_STATUS] = "UPDATE support_tickets SET status = ?1, resolved_at = "
	    "CASE WHEN ?1 = 'resolved' THEN ?2 WHEN ?1 IN ('open', 'in_progress', "
	    "'waiting_on_merchant') THEN NULL ELSE resolved_at END, closed_at = "
	    "CASE WHEN ?1 = 'closed' THEN ?2 ELSE closed_at END, updated_at = ?2, "
	    "public_updated_at = ?2 WHERE id = ?3",
	[STMT_TK_SET_FIELDS] = "UPDATE support_tickets SET priority = coalesce(?1, "
	    "priority), category = coalesce(?2, category), updated_at = ?3, "
	    "public_updated_at = ?3 WHERE id = ?4",
	[STMT_TK_ASSIGNEE] = "SELECT role, blocked FROM users WHERE id = ?",
	[STMT_TK_SET_ASSIGNEE] = "UPDATE support_tickets SET assignee_id = ?1, "
	    "updated_at = ?2, public_updated_at = ?2 WHERE id = ?3",
	[STMT_TK_RESPONSE] = "INSERT INTO ticket_responses (document_id, ticket_id, "
	    "merchant_id, author_id, author_role, body, internal, time_spent_minutes, "
	    "created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?)",
	/* An internal note (?6) moves neither what the merchant sees of the
	 * time spent nor its last change. */
	[STMT_TK_AFTER_REPLY] = "UPDATE support_tickets SET time_spent_minutes = "
	    "time_spent_minutes + ?1, public_time_spent_minutes = "
	    "public_time_spent_minutes + CASE WHEN ?6 THEN 0 ELSE ?1 END, "
	    "first_response_at = coalesce(first_response_at, ?2), status = ?3, "
	    "resolved_at = CASE WHEN ?3 = 'open' THEN NULL ELSE resolved_at END, "
	    "updated_at = ?4, public_updated_at = CASE WHEN ?6 THEN "
	    "public_updated_at ELSE ?4 END WHERE id = ?5",
	[STMT_TK_FTS_DELETE] = "INSERT INTO support_tickets_fts (support_tickets_fts, "
	    "rowid, subject, description) SELECT 'delete', id, subject, description "
	    "FROM support_tickets WHERE id = ?",
	[STMT_TK_DELETE] = "DELETE FROM support_tickets WHERE id = ?",
	[STMT_TK_AUTOCLOSE] = "UPDATE support_tickets SET status = 'closed', "
	    "closed_at = ?1, updated_at = ?1, public_updated_at = ?1 WHERE status = "
	    "'resolved' AND resolved_at <= ?2",
	/* The active agent with the fewest open tickets; ties: the one whose
	 * last assignment is oldest, then the lowest id. */
	[STMT_TK_ROUND_ROBIN] = "SELECT u.id FROM users u WHERE u.role = 'agent' AND "
	    "u.blocked = 0 ORDER BY (SELECT count(*) FROM support_tickets t WHERE "
	    "t.assignee_id = u.id AND t.status NOT IN ('resolved', 'closed')), "
	    "coalesce((SELECT max(t.id) FROM support_tickets t WHERE t.assignee_id = "
	    "u.id), 0), u.id LIMIT 1",
	[STMT_TK_AGENTS] = "SELECT email FROM users WHERE role = 'agent' AND blocked = 0 "
	    "ORDER BY id",
	[STMT_TK_MERCHANT] = "SELECT t.reference, t.subject, m.email, m.language, "
	    "m.id, coalesce(a.email, '') FROM support_tickets t JOIN merchants m ON "
	    "m.id = t.merchant_id LEFT JOIN users a ON a.id = t.assignee_id AND "
	    "a.blocked = 0 WHERE t.id = ?",
	[STMT_TK_USER_EMAIL] = "SELECT email FROM users WHERE id = ?",
};

/* E-mails about a ticket (queued in the outbox, in the ticket's
 * transaction): to the assignee or every agent, or to the merchant in its
 * language. */
enum notice { NOTE_NEW, NOTE_MERCHANT_REPLY, NOTE_AGENT_REPLY, NOTE_RESOLVED };

static enum err
notify(struct db *db, int64_t ticket, enum notice what, const char *text, int64_t now)
{
	char ref[32], subject[256], to[256], lang[4], assignee[256], related[48];
	int64_t merchant;
	sqlite3_stmt *st = db_bind(db, stmts[STMT_TK_MERCHANT], "i", ticket);
	if (st == NULL)
		return ERR_DB;
	if (db_step(db, st) != DB_ROW) {
		db_done(st);
		return ERR_NOT_FOUND;
	}
	snprintf(ref, sizeof(ref), "%s", db_col_text(st, 0));
	snprintf(subject, sizeof(subject), "%s", db_col_text(st, 1));
	snprintf(to, sizeof(to), "%s", db_col_text(st, 2));
	snprintf(lang, sizeof(lang), "%s", db_col_text(st, 3));
	merchant = sqlite3_column_int64(st, 4);
	snprintf(assignee, sizeof(assignee), "%s", db_col_text(st, 5));
	db_done(st);
	snprintf(related, sizeof(related), "ticket:%lld", (long long)ticket);
	struct buf subj = { 0 }, body = { 0 };
	enum err rc = ERR_OK;
	if (what == NOTE_NEW || what == NOTE_MERCHANT_REPLY) {
		/* Staff read English. */
		const char *kind = what == NOTE_NEW ? "ticket_new" : "ticket_merchant_reply";
		char agents[32][256];
		int n = 0;
		msg_printf(&subj, "en", what == NOTE_NEW ? "MAIL_TICKET_NEW_SUBJECT" :
		    "MAIL_TICKET_MERCHANT_REPLY_SUBJECT", ref, subject, NULL);
		msg_printf(&body, "en", "MAIL_TICKET_STAFF_BODY", subject, text, NULL);
		if (assignee[0])
			snprintf(agents[n++], 256, "%s", assignee);
		else if ((st = db_bind(db, stmts[STMT_TK_AGENTS], "")) == NULL)
			rc = ERR_DB;
		else {
			while (n < 32 && db_step(db, st) == DB_ROW)
				snprintf(agents[n++], 256, "%s", db_col_text(st, 0));
			db_done(st);
		}
		for (int i = 0; rc == ERR_OK && i < n; i++)
			rc = outbox_queue(db, kind, agents[i], buf_str(&subj), buf_str(&body),
			    merchant, related, now);
	} else {
		if (what == NOTE_AGENT_REPLY) {
			msg_printf(&subj, lang, "MAIL_TICKET_REPLY_SUBJECT", ref, subject, NULL);
			msg_printf(&body, lang, "MAIL_TICKET_REPLY_BODY", text, NULL);
		} else {
			msg_printf(&subj, lang, "MAIL_TICKET_RESOLVED_SUBJECT", ref, subject,
			    NULL);
			msg_printf(&body, lang, "MAIL_TICKET_RESOLVED_BODY", ref, NULL);
		}
		rc = outbox_queue(db, what == NOTE_AGENT_REPLY ? "ticket_reply" :
		    "ticket_resolved", to, buf_str(&subj), buf_str(&body), merchant, related,
		    now);
	}
	buf_free(&subj);
	buf_free(&body);
	return rc;
}

int
tickets_autoclose(struct db *db, int64_t now)
{
	char ts[25], limit[25];
	clock_format_ms(now, ts);
	clock_format_ms(now - TICKETS_AUTOCLOSE_DAYS * CLOCK_DAY_MS, limit);
	sqlite3_stmt *st = db_bind(db, stmts[STMT_TK_AUTOCLOSE], "ss", ts, limit);
	if (st == NULL)
		return -1;
	enum db_rc r = db_step(db, st);
	db_done(st);
	return r == DB_DONE ? sqlite3_changes(db_handle(db)) : -1;
}

/* Returns 1 when word holds a character FTS5's unicode61 tokenizer keeps
 * (a letter or digit): ASCII letters and digits, and code points beyond
 * ASCII outside the blocks of spaces, punctuation and symbols. word is
 * valid UTF-8. */
static int
fts_has_token(const char *word)
{
	const unsigned char *p = (const unsigned char *)word;
	while (*p) {
		uint32_t cp = *p;
		int len = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
		if (len > 1)
			cp &= 0x3fu >> (len - 1);
		for (int i = 1; i < len && p[i]; i++)
			cp = cp << 6 | (p[i] & 0x3fu);
		if (cp < 0x80 ? (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' &&
		    (cp | 0x20) <= 'z') : !(cp <= 0xbf || cp == 0xd7 || cp == 0xf7 ||
		    (cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x2e00 && cp <= 0x2e7f) ||
		    (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
		    (cp >= 0xff00 && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
		    (cp >= 0xff5b && cp <= 0xff65) || cp >= 0x1f000))
			return 1;
		for (int i = 0; i < len && *p; i++)
			p++;
	}
	return 0;
}

const char *
tickets_search_phrase(struct arena *a, const char *q)
{
	struct buf b = { 0 };
	char *copy = arena_strdup(a, q), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (!fts_has_token(t))
			continue;
		buf_puts(&b, b.len ? " \"" : "\"");
		for (char *p = t; *p; p++) {
			if (*p == '"')
				buf_putc(&b, '"');
			buf_putc(&b, *p);
		}
		buf_putc(&b, '"');
	}
	char *out = b.len ? arena_strdup(a, buf_str(&b)) : NULL;
	buf_free(&b);
	return out;
}

enum err
h_tickets_find(struct ctx *c)
{
	/* q= is the search: taken out before the query language sees it. */
	const char *q = NULL;
	size_t w = 0;
	for (size_t i = 0; i < c->req->nparams; i++) {
		if (strcmp(c->req->params[i].key, "q") == 0)
			q = c->req->params[i].val;
		else
			c->req->params[w++] = c->req->params[i];
	}
	c->req->nparams = w;
	if (q && (strlen(q) > 200 || !valid_text(q, 0))) {
		c->err_msg = "q must be a line of at most 200 characters";
		return ERR_VALIDATION;
	}
	const char *match = q ? tickets_search_phrase(&c->req->arena, q) : NULL;
	if (match)
		return crud_list_bind(c, &tickets_entity, "id IN (SELECT rowid FROM "
		    "support_tickets_fts WHERE support_tickets_fts MATCH ?)", match);
	return crud_list(c, &tickets_entity, NULL);
}

static enum err
answer(struct ctx *c, const struct entity *e, int64_t id, int status)
{
	cJSON *o = crud_read(c, e, id);
	if (o == NULL)
		return ERR_DB;
	if (c->route && e == c->route->entity)	/* fields[] name the route's */
		crud_restrict(e, c->fields, o);
	json_send_data(c->resp, status, o, NULL);
	return ERR_OK;
}

/*
 * The search index learns a transaction's new tickets once, at its end:
 * FTS5 writes what it was given as a new segment at every savepoint, so a
 * group commit's tickets (each request's transaction a savepoint) would
 * each make a segment, and merges after. The tickets' own rows are read
 * then, so that one whose savepoint was rolled back is not indexed. One
 * list per process: its connection has one transaction at a time.
 */
static int64_t *fts_pending;
static size_t fts_npending, fts_cap;

/* Indexes the tickets of ids (n of them) that exist: one statement, so
 * one FTS5 segment (FTS5 writes one at each statement's end too). */
static enum err
fts_index(struct db *db, const int64_t *ids, size_t n)
{
	struct buf list = { 0 };
	buf_putc(&list, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&list, ',');
		json_put_int(&list, ids[i]);
	}
	buf_putc(&list, ']');
	enum err rc = db_exec(db, stmts[STMT_TK_FTS], "s", list.data);
	buf_free(&list);
	return rc;
}

static enum err
fts_at_end(struct db *db, int commit)
{
	/* An id rolled back (a savepoint) is not in the table any more, or
	 * given again: json_each's list is a set to IN. */
	enum err rc = commit && fts_npending ?
	    fts_index(db, fts_pending, fts_npending) : ERR_OK;
	fts_npending = 0;
	return rc;
}

/* Indexes ticket id: at the transaction's end, or now outside one. */
static enum err
fts_add(struct db *db, int64_t id)
{
	if (!db_in_txn(db))
		return fts_index(db, &id, 1);
	if (fts_npending == fts_cap) {
		fts_cap = fts_cap ? 2 * fts_cap : 64;
		fts_pending = xrealloc(fts_pending, fts_cap * sizeof(*fts_pending));
	}
	fts_pending[fts_npending++] = id;
	return db_at_end(db, fts_at_end);
}

enum err
tickets_insert(struct db *db, int64_t merchant, int64_t requester, const char *subject,
    const char *description, const char *category, const char *priority, int64_t at,
    int64_t *id)
{
	char docid[DOCUMENT_ID_LEN + 1], ref[32], ts[25], due[25];
	int64_t number = 0;
	clock_format_ms(at, ts);
	clock_format_ms(sla_due(config(), sla_priority(priority), at), due);
	if (db_get(db, stmts[STMT_TK_NUMBER], "", "I", &number) != ERR_OK ||
	    id_document_new(docid) != 0)
		return ERR_DB;
	snprintf(ref, sizeof(ref), "TCK-%06lld", (long long)number);
	if (db_exec(db, stmts[STMT_TK_INSERT], "ssirssssss", docid, ref, merchant,
	    requester, subject, description, category, priority, due, ts) != ERR_OK)
		return ERR_DB;
	*id = sqlite3_last_insert_rowid(db_handle(db));
	return fts_add(db, *id);
}

enum err
h_tickets_create(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	int64_t merchant = 0, now = clock_now_ms();
	char ts[25];
	char *desc_copy = NULL;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	/* merchant is not a field clients write elsewhere: handled here. */
	cJSON *copy = cJSON_Duplicate(data, 1);
	cJSON *jm = cJSON_DetachItemFromObjectCaseSensitive(copy, "merchant");
	if (c->caller.role == ROLE_MERCHANT) {
		merchant = c->caller.merchant_id;
		if (jm && crud_ref_id(c, "merchants", jm) != merchant)
			verr_add(&c->ve, "merchant", "a merchant opens tickets for itself", jm);
	} else if (jm == NULL)
		verr_add(&c->ve, "merchant", "merchant must be defined.", NULL);
	else if ((merchant = crud_ref_id(c, "merchants", jm)) == 0)
		verr_add(&c->ve, "merchant", "merchant does not exist", jm);
	cJSON_Delete(jm);
	if (cJSON_GetObjectItemCaseSensitive(copy, "status"))
		verr_add(&c->ve, "status", "a new ticket is open", NULL);
	valid_entity_body(&tickets_entity, copy, 1, &c->ve);
	if (c->ve.n) {
		cJSON_Delete(copy);
		return ERR_VALIDATION;
	}
	const char *priority = cJSON_GetStringValue(cJSON_GetObjectItem(copy, "priority"));
	clock_format_ms(now, ts);
	if ((rc = db_begin(c->db)) != ERR_OK) {
		cJSON_Delete(copy);
		return rc;
	}
	const char *subject = cJSON_GetStringValue(cJSON_GetObjectItem(copy, "subject"));
	const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(copy, "description"));
	int64_t id = 0;
	if (tickets_insert(c->db, merchant, c->caller.user_id, subject, desc,
	    cJSON_GetStringValue(cJSON_GetObjectItem(copy, "category")), priority, now,
	    &id) != ERR_OK)
		goto dbfail;
	/* Round-robin (PLATFORM_ROUND_ROBIN=1): to the least loaded agent. */
	int64_t agent = 0;
	if (config()->round_robin) {
		enum err e = db_get(c->db, stmts[STMT_TK_ROUND_ROBIN], "", "I", &agent);
		if ((e != ERR_OK && e != ERR_NOT_FOUND) || (agent && db_exec(c->db,
		    stmts[STMT_TK_SET_ASSIGNEE], "rsi", agent, ts, id) != ERR_OK))
			goto dbfail;
	}
	desc_copy = strdup(desc);
	cJSON_Delete(copy);
	copy = NULL;
	if (desc_copy == NULL)
		goto dbfail;
	if ((rc = notify(c->db, id, NOTE_NEW, desc_copy, now)) != ERR_OK ||
	    (rc = crud_audit(c, "create", &tickets_entity, id, NULL)) != ERR_OK)
		goto fail;
	if ((rc = db_commit(c->db)) != ERR_OK)
		goto out;
	rc = answer(c, &tickets_entity, id, 201);
out:
	free(desc_copy);
	return rc;
dbfail:
	rc = ERR_DB;
fail:
	cJSON_Delete(copy);
	free(desc_copy);
	db_rollback(c->db);
	return rc;
}

/* Reads a ticket's status and merchant. */
static enum err
ticket_state(struct ctx *c, int64_t id, char status[32], int64_t *merchant,
    int *answered)
{
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_TK_GET], "i", id);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(c->db, st);
	if (r == DB_ROW) {
		snprintf(status, 32, "%s", db_col_text(st, 0));
		*merchant = sqlite3_column_int64(st, 1);
		*answered = sqlite3_column_type(st, 2) != SQLITE_NULL;
	}
	db_done(st);
	return r == DB_ROW ? ERR_OK : r == DB_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static enum err
set_status(struct ctx *c, int64_t id, const char *from, const char *to,
    const char *ts)
{
	if (strcmp(from, to) == 0)
		return ERR_OK;
	if (!tickets_may_move(from, to)) {
		const char *allowed = tickets_allowed_moves(from);
		ctx_error(c, "A ticket cannot go from %s to %s; allowed: %s", from, to,
		    *allowed ? allowed : "none (it is closed)");
		return ERR_CONFLICT;
	}
	sqlite3_stmt *st = db_bind(c->db, stmts[STMT_TK_SET_STATUS], "ssi", to, ts, id);
	if (st == NULL)
		return ERR_DB;
	enum db_rc r = db_step(c->db, st);
	db_done(st);
	return r == DB_DONE ? ERR_OK : ERR_DB;
}

/* Audits a staff change and answers with the ticket. */
static enum err
finish(struct ctx *c, int64_t id, cJSON *before)
{
	enum err rc = crud_audit(c, "update", &tickets_entity, id, before);
	cJSON_Delete(before);
	if (rc == ERR_OK)
		rc = db_commit(c->db);
	if (rc != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	return answer(c, &tickets_entity, id, 200);
}

enum err
h_tickets_update(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	char status[32], ts[25];
	int64_t id, merchant;
	int answered;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_resolve(c, &tickets_entity, c->id, &id)) != ERR_OK)
		return rc;
	const cJSON *it;
	cJSON_ArrayForEach(it, data)
		if (strcmp(it->string, "status") != 0 && strcmp(it->string, "priority") != 0 &&
		    strcmp(it->string, "category") != 0)
			verr_addf(&c->ve, it->string, NULL, "Invalid key %s", it->string);
	if (valid_entity_body(&tickets_entity, data, 0, &c->ve) > 0 || c->ve.n)
		return ERR_VALIDATION;
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	cJSON *before = crud_read(c, &tickets_entity, id);
	if ((rc = ticket_state(c, id, status, &merchant, &answered)) != ERR_OK)
		goto fail;
	const char *to = cJSON_GetStringValue(cJSON_GetObjectItem(data, "status"));
	if (to && (rc = set_status(c, id, status, to, ts)) != ERR_OK)
		goto fail;
	if (to && strcmp(to, "resolved") == 0 && strcmp(status, "resolved") != 0 &&
	    (rc = notify(c->db, id, NOTE_RESOLVED, "", clock_now_ms())) != ERR_OK)
		goto fail;
	if (db_exec(c->db, stmts[STMT_TK_SET_FIELDS], "sssi",
	    cJSON_GetStringValue(cJSON_GetObjectItem(data, "priority")),
	    cJSON_GetStringValue(cJSON_GetObjectItem(data, "category")), ts, id) !=
	    ERR_OK) {
		rc = ERR_DB;
		goto fail;
	}
	return finish(c, id, before);
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}

enum err
h_tickets_assign(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	char ts[25];
	int64_t id, who = 0;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_resolve(c, &tickets_entity, c->id, &id)) != ERR_OK)
		return rc;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(data, "assignee");
	if (a == NULL)
		verr_add(&c->ve, "assignee", "assignee must be defined.", NULL);
	else if (!cJSON_IsNull(a)) {
		who = crud_ref_id(c, "users", a);
		char role[16] = "";
		int blocked = 1;
		int ok = who && db_get(c->db, stmts[STMT_TK_ASSIGNEE], "i", "SN", who, role,
		    sizeof(role), &blocked) == ERR_OK && strcmp(role, "merchant") != 0 &&
		    !blocked;
		if (!ok)
			verr_add(&c->ve, "assignee", "assignee must be an agent or admin "
			    "who is not blocked", a);
	}
	if (c->ve.n)
		return ERR_VALIDATION;
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	cJSON *before = crud_read(c, &tickets_entity, id);
	if (db_exec(c->db, stmts[STMT_TK_SET_ASSIGNEE], "rsi", who, ts, id) != ERR_OK) {
		cJSON_Delete(before);
		db_rollback(c->db);
		return ERR_DB;
	}
	return finish(c, id, before);
}

enum err
h_tickets_respond(struct ctx *c)
{
	const cJSON *data = crud_body_data(c);
	char status[32], ts[25], docid[DOCUMENT_ID_LEN + 1];
	int64_t id, merchant;
	int answered;
	enum err rc;

	if (data == NULL)
		return ERR_VALIDATION;
	if ((rc = crud_resolve(c, &tickets_entity, c->id, &id)) != ERR_OK)
		return rc;
	if (valid_entity_body(&responses_entity, data, 1, &c->ve) > 0)
		return ERR_VALIDATION;
	int staff = (c->caller.role & (ROLE_ADMIN | ROLE_AGENT)) != 0;
	int internal = cJSON_IsTrue(cJSON_GetObjectItem(data, "internal"));
	int64_t minutes = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(data,
	    "timeSpentMinutes"));
	if (minutes < 0)
		minutes = 0;
	if (!staff && (internal || minutes > 0)) {
		c->err_msg = internal ? "Only agents write internal notes" :
		    "Only agents record time spent";
		return ERR_FORBIDDEN;
	}
	clock_format_ms(clock_now_ms(), ts);
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	/* A reply changes the ticket too (status, first response, time
	 * spent): both are audited for staff and tokens. */
	cJSON *before = audit_wanted(c) ? crud_read(c, &tickets_entity, id) : NULL;
	if ((rc = ticket_state(c, id, status, &merchant, &answered)) != ERR_OK)
		goto fail;
	if (strcmp(status, "closed") == 0) {
		c->err_msg = "A closed ticket takes no replies: open a new one";
		rc = ERR_CONFLICT;
		goto fail;
	}
	if (id_document_new(docid) != 0 || db_exec(c->db, stmts[STMT_TK_RESPONSE],
	    "siirssiisss", docid, id, merchant, c->caller.user_id,
	    c->caller.via == AUTH_TOKEN ? "api-token" : auth_role_name(c->caller.role),
	    cJSON_GetStringValue(cJSON_GetObjectItem(data, "body")), (int64_t)internal,
	    minutes, ts, ts, ts) != ERR_OK) {
		rc = ERR_DB;
		goto fail;
	}
	int64_t rid = sqlite3_last_insert_rowid(db_handle(c->db));
	/* What a reply does to the ticket: the first public agent reply is
	 * the first response; an agent's reply waits on the merchant; the
	 * merchant's reply to a ticket waiting on it, or resolved, reopens it. */
	const char *next = status;
	const char *first = NULL;
	if (staff && !internal) {
		first = ts;
		if (strcmp(status, "open") == 0 || strcmp(status, "in_progress") == 0)
			next = "waiting_on_merchant";
	} else if (!staff && (strcmp(status, "waiting_on_merchant") == 0 ||
	    strcmp(status, "resolved") == 0))
		next = "open";
	if (db_exec(c->db, stmts[STMT_TK_AFTER_REPLY], "isssii", minutes, first, next, ts,
	    id, (int64_t)internal) != ERR_OK) {
		rc = ERR_DB;
		goto fail;
	}
	/* Internal notes tell nobody. */
	if (!internal && (rc = notify(c->db, id, staff ? NOTE_AGENT_REPLY :
	    NOTE_MERCHANT_REPLY, cJSON_GetStringValue(cJSON_GetObjectItem(data, "body")),
	    clock_now_ms())) != ERR_OK)
		goto fail;
	if ((rc = crud_audit(c, "create", &responses_entity, rid, NULL)) != ERR_OK ||
	    (rc = crud_audit(c, "update", &tickets_entity, id, before)) != ERR_OK)
		goto fail;
	cJSON_Delete(before);
	if ((rc = db_commit(c->db)) != ERR_OK)
		return rc;
	return answer(c, &responses_entity, rid, 201);
fail:
	cJSON_Delete(before);
	db_rollback(c->db);
	return rc;
}

enum err
h_responses_find(struct ctx *c)
{
	/* A merchant's list never holds an internal note, whatever it asks:
	 * it reads the content type's merchant view. */
	return crud_list(c, &responses_entity, NULL);
}

enum err
h_responses_find_one(struct ctx *c)
{
	int64_t id;
	enum err rc = crud_resolve(c, &responses_entity, c->id, &id);
	/* An internal note is not in a merchant's view: as if it did not
	 * exist. */
	return rc != ERR_OK ? rc : crud_send_one(c, &responses_entity, id, 200);
}

enum err
h_tickets_delete(struct ctx *c)
{
	int64_t id;
	enum err rc = crud_resolve(c, &tickets_entity, c->id, &id);
	if (rc != ERR_OK)
		return rc;
	if ((rc = db_begin(c->db)) != ERR_OK)
		return rc;
	cJSON *before = crud_read(c, &tickets_entity, id);
	/* The search index forgets it in the same transaction; one still to
	 * be indexed (made in this group commit) is indexed first. */
	if (fts_npending && (rc = fts_at_end(c->db, 1)) != ERR_OK) {
		cJSON_Delete(before);
		db_rollback(c->db);
		return rc;
	}
	for (int k = STMT_TK_FTS_DELETE; k <= STMT_TK_DELETE; k++) {
		if (db_exec(c->db, stmts[k], "i", id) != ERR_OK) {
			cJSON_Delete(before);
			db_rollback(c->db);
			return ERR_DB;
		}
	}
	rc = audit_record(c, "delete", &tickets_entity, id, cJSON_GetStringValue(
	    cJSON_GetObjectItem(before, "documentId")), before, NULL);
	cJSON_Delete(before);
	if (rc != ERR_OK || (rc = db_commit(c->db)) != ERR_OK) {
		db_rollback(c->db);
		return rc;
	}
	c->resp->status = 204;
	c->resp->content_type = NULL;
	buf_reset(&c->resp->body);
	return ERR_OK;
}
