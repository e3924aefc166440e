/* Support: SLA due times, the state machine, replies and internal notes,
 * scoping, search, assignment. */
#include "unit.h"
#include "sla.h"
#include "tickets.h"
#include "users.h"

static char dbpath[256];
static struct app *app;

static int
setup(void **state)
{
	(void)state;
	return unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app);
}

static int
teardown(void **state)
{
	(void)state;
	app_close(app);
	unit_rmdb(dbpath);
	return 0;
}

/* One request with an Authorization header ("Bearer ..."); the answer
 * parsed (caller deletes). */
static cJSON *
with_auth(const char *auth, enum http_method m, const char *path,
    const char *query, const char *body, int *status)
{
	struct request req;
	struct response resp;
	unit_request(&req, m, path, query);
	if (body) {
		req.body = body;
		req.body_len = strlen(body);
		http_add_header(&req, "content-type", "application/json");
	}
	http_add_header(&req, "authorization", auth);
	resp_init(&resp);
	app_handle(app, &req, &resp);
	*status = resp.status;
	cJSON *o = cJSON_Parse(buf_str(&resp.body));
	resp_free(&resp);
	arena_free(&req.arena);
	return o;
}

/* The same as the demo user with this e-mail. */
static cJSON *
as(const char *email, enum http_method m, const char *path, const char *query,
    const char *body, int *status)
{
	char auth[JWT_MAX_LEN + 16];
	unit_bearer(app, email, auth, sizeof(auth));
	return with_auth(auth, m, path, query, body, status);
}

static const char *
dstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), k));
}

static int64_t
utc(const char *iso)
{
	int64_t ms = 0;
	assert_int_equal(clock_parse_ms(iso, &ms), 0);
	return ms;
}

static void
sla_should_count_calendar_hours_by_priority(void **state)
{
	const struct config *s = config();
	char out[25], why[300];
	(void)state;
	unsetenv("PLATFORM_BUSINESS_HOURS");
	setenv("PLATFORM_SLA_HOURS", "urgent=2", 1);
	unit_config_load();
	unsetenv("PLATFORM_SLA_HOURS");
	int64_t t = utc("2026-11-27T19:00:00.000Z");
	clock_format_ms(sla_due(s, sla_priority("urgent"), t), out);
	assert_string_equal(out, "2026-11-27T21:00:00.000Z");
	clock_format_ms(sla_due(s, sla_priority("high"), t), out);
	assert_string_equal(out, "2026-11-27T23:00:00.000Z");
	clock_format_ms(sla_due(s, sla_priority("low"), t), out);
	assert_string_equal(out, "2026-11-28T19:00:00.000Z");
	/* A bad value is refused, naming the variable; the configuration in
	 * force stays. */
	setenv("PLATFORM_SLA_HOURS", "urgent=zero", 1);
	assert_int_equal(config_load(why, sizeof(why)), -1);
	assert_string_equal(why, "PLATFORM_SLA_HOURS must be priority=hours pairs (urgent, "
	    "high, medium, low; hours from 1 to 8760), like urgent=1,high=4");
	assert_int_equal(config()->sla_hours[3], 2);
	unsetenv("PLATFORM_SLA_HOURS");
	unit_config_load();
}

static void
sla_should_count_business_hours_across_the_weekend(void **state)
{
	const struct config *s = config();
	struct config_hours h;
	char out[25];
	(void)state;
	setenv("PLATFORM_BUSINESS_HOURS", "mon-fri 09:00-18:00", 1);
	setenv("PLATFORM_TIMEZONE", "Europe/Paris", 1);
	unit_config_load();
	unsetenv("PLATFORM_BUSINESS_HOURS");
	unsetenv("PLATFORM_TIMEZONE");
	/* Friday 27 November 2026, 20:00 in Paris (UTC+1): high, 4 h, is due
	 * Monday at 13:00 in Paris, 12:00 UTC. */
	clock_format_ms(sla_due(s, sla_priority("high"), utc("2026-11-27T19:00:00.000Z")),
	    out);
	assert_string_equal(out, "2026-11-30T12:00:00.000Z");
	/* Friday 17:00: one hour that day, three on Monday: 12:00 Paris. */
	clock_format_ms(sla_due(s, sla_priority("high"), utc("2026-11-27T16:00:00.000Z")),
	    out);
	assert_string_equal(out, "2026-11-30T11:00:00.000Z");
	/* Saturday: Monday 09:00 + 1 h. */
	clock_format_ms(sla_due(s, sla_priority("urgent"), utc("2026-11-28T10:00:00.000Z")),
	    out);
	assert_string_equal(out, "2026-11-30T09:00:00.000Z");
	/* Low, 24 business hours from Monday 09:00: 9 + 9 + 6 h: Wednesday 15:00. */
	clock_format_ms(sla_due(s, sla_priority("low"), utc("2026-11-30T08:00:00.000Z")),
	    out);
	assert_string_equal(out, "2026-12-02T14:00:00.000Z");
	/* In summer Paris is UTC+2: Monday 09:00 local is 07:00 UTC. */
	clock_format_ms(sla_due(s, sla_priority("urgent"), utc("2026-06-27T10:00:00.000Z")),
	    out);
	assert_string_equal(out, "2026-06-29T08:00:00.000Z");
	static const char *const bad[] = { "mon-fri", "funday 09:00-18:00",
	    "mon-fri 18:00-09:00", "mon-fri 25:00-26:00", "fri-mon 09:00-18:00", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(config_parse_hours(bad[i], &h), -1);
	unit_config_load();
}

static void
tickets_should_get_gapless_references_and_their_due_time(void **state)
{
	int st;
	(void)state;
	cJSON *a = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Paiement refusé\",\"description\":\"Ma carte est "
	    "refusée à chaque renouvellement.\",\"category\":\"billing\","
	    "\"priority\":\"urgent\"}}", &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(a, "reference"), "TCK-000001");
	assert_string_equal(dstr(a, "status"), "open");
	int64_t created, due;
	clock_parse_ms(dstr(a, "createdAt"), &created);
	clock_parse_ms(dstr(a, "firstResponseDueAt"), &due);
	assert_int_equal(due - created, 3600 * 1000);
	cJSON_Delete(a);
	cJSON *b = as("agent@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"merchant\":2,\"subject\":\"Site lent\",\"description\":"
	    "\"Pages slow since Monday\",\"category\":\"technical\",\"priority\":\"low\"}}",
	    &st);
	assert_int_equal(st, 201);
	assert_string_equal(dstr(b, "reference"), "TCK-000002");
	cJSON_Delete(b);
	/* Bad input names its fields; nothing is numbered for it. */
	b = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"x\",\"category\":\"other\",\"priority\":\"extreme\"}}",
	    &st);
	assert_int_equal(st, 400);
	char *s = cJSON_PrintUnformatted(b);
	assert_non_null(strstr(s, "priority must be one of the following values: low, "
	    "medium, high, urgent, "));
	assert_non_null(strstr(s, "\"path\":[\"description\"]"));
	assert_non_null(strstr(s, "\"path\":[\"category\"]"));
	free(s);
	cJSON_Delete(b);
	/* A merchant opens tickets for itself only. */
	b = as("bob@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"merchant\":1,\"subject\":\"Hello\",\"description\":\"x\","
	    "\"category\":\"account\",\"priority\":\"low\"}}", &st);
	assert_int_equal(st, 400);
	cJSON_Delete(b);
	b = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Third\",\"description\":\"x\",\"category\":"
	    "\"account\",\"priority\":\"medium\"}}", &st);
	assert_string_equal(dstr(b, "reference"), "TCK-000003");
	cJSON_Delete(b);
}

static void
replies_should_drive_the_ticket(void **state)
{
	int st;
	(void)state;
	/* Ticket 1 is Clara's, open. An internal note: no first response. */
	cJSON *o = as("agent@example.com", METHOD_POST, "/api/support-tickets/1/responses",
	    "", "{\"data\":{\"body\":\"Looks like a 3-D Secure issue\",\"internal\":true,"
	    "\"timeSpentMinutes\":10}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	o = as("admin@example.com", METHOD_GET, "/api/support-tickets/1", "", NULL, &st);
	assert_string_equal(dstr(o, "status"), "open");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"),
	    "firstResponseAt")));
	cJSON_Delete(o);
	/* The first public agent reply answers it and waits on the merchant. */
	o = as("agent@example.com", METHOD_POST, "/api/support-tickets/1/responses", "",
	    "{\"data\":{\"body\":\"Please try again now.\",\"timeSpentMinutes\":5}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	o = as("admin@example.com", METHOD_GET, "/api/support-tickets/1", "", NULL, &st);
	assert_string_equal(dstr(o, "status"), "waiting_on_merchant");
	assert_non_null(dstr(o, "firstResponseAt"));
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "timeSpentMinutes")), 15);
	cJSON_Delete(o);
	/* The merchant's reply reopens it; it cannot write notes or time. */
	o = as("clara@example.com", METHOD_POST, "/api/support-tickets/1/responses", "",
	    "{\"data\":{\"body\":\"Still refused.\"}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	o = as("clara@example.com", METHOD_GET, "/api/support-tickets/1", "", NULL, &st);
	assert_string_equal(dstr(o, "status"), "open");
	cJSON_Delete(o);
	o = as("clara@example.com", METHOD_POST, "/api/support-tickets/1/responses", "",
	    "{\"data\":{\"body\":\"psst\",\"internal\":true}}", &st);
	assert_int_equal(st, 403);
	cJSON_Delete(o);
	/* Merchant B learns nothing of it. */
	o = as("bob@example.com", METHOD_POST, "/api/support-tickets/1/responses", "",
	    "{\"data\":{\"body\":\"hi\"}}", &st);
	assert_int_equal(st, 404);
	cJSON_Delete(o);
}

static void
merchants_should_never_see_internal_notes(void **state)
{
	int st;
	(void)state;
	static const char *const queries[] = { "", "filters[internal]=true",
	    "filters[ticket]=1", "filters[body][$contains]=3-D", "sort=id:desc",
	    "pagination[pageSize]=100", NULL };
	for (int i = 0; queries[i]; i++) {
		cJSON *o = as("clara@example.com", METHOD_GET, "/api/ticket-responses",
		    queries[i], NULL, &st);
		assert_int_equal(st, 200);
		char *s = cJSON_PrintUnformatted(o);
		if (strstr(s, "3-D Secure") || strstr(s, "\"internal\":true"))
			fail_msg("an internal note leaked with %s: %s", queries[i], s);
		free(s);
		cJSON_Delete(o);
	}
	/* The note itself: not found for her, found for staff. */
	cJSON *o = as("agent@example.com", METHOD_GET, "/api/ticket-responses",
	    "filters[internal]=true", NULL, &st);
	int64_t note = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0), "id"));
	cJSON_Delete(o);
	char path[64];
	snprintf(path, sizeof(path), "/api/ticket-responses/%lld", (long long)note);
	o = as("clara@example.com", METHOD_GET, path, "", NULL, &st);
	assert_int_equal(st, 404);
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_GET, path, "", NULL, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	/* Bob sees none of Clara's replies. */
	o = as("bob@example.com", METHOD_GET, "/api/ticket-responses", "", NULL, &st);
	char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "meta"));
	assert_non_null(strstr(s, "\"total\":0"));
	free(s);
	cJSON_Delete(o);
}

/* A field of the one ticket answer o ("data"). */
static double
dnum(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), k));
}

static void
internal_notes_should_leave_no_trace_for_the_merchant(void **state)
{
	int st;
	char path[80], upd[32], q[128];
	(void)state;
	cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Traces\",\"description\":\"Where did the "
	    "time go?\",\"category\":\"account\",\"priority\":\"low\"}}", &st);
	assert_int_equal(st, 201);
	int64_t id = (int64_t)dnum(o, "id");
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/api/support-tickets/%lld/responses", (long long)id);
	clock_set_offset_ms(60 * 1000);
	o = as("agent@example.com", METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"Looking\",\"timeSpentMinutes\":10}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/api/support-tickets/%lld", (long long)id);
	o = as("clara@example.com", METHOD_GET, path, "", NULL, &st);
	assert_int_equal((int64_t)dnum(o, "timeSpentMinutes"), 10);
	snprintf(upd, sizeof(upd), "%s", dstr(o, "updatedAt"));
	cJSON_Delete(o);
	/* An hour later, a long internal note. */
	clock_set_offset_ms(3600 * 1000);
	snprintf(path, sizeof(path), "/api/support-tickets/%lld/responses", (long long)id);
	o = as("agent@example.com", METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"Escalate quietly\",\"internal\":true,\"timeSpentMinutes\":45}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	clock_set_offset_ms(0);
	/* Staff see all of it. */
	snprintf(path, sizeof(path), "/api/support-tickets/%lld", (long long)id);
	o = as("agent@example.com", METHOD_GET, path, "", NULL, &st);
	assert_int_equal((int64_t)dnum(o, "timeSpentMinutes"), 55);
	assert_string_not_equal(dstr(o, "updatedAt"), upd);
	cJSON_Delete(o);
	/* The merchant, in every way it reads its tickets, sees only what the
	 * public reply did. */
	o = as("clara@example.com", METHOD_GET, path, "", NULL, &st);
	assert_int_equal(st, 200);
	assert_int_equal((int64_t)dnum(o, "timeSpentMinutes"), 10);
	assert_string_equal(dstr(o, "updatedAt"), upd);
	cJSON_Delete(o);
	snprintf(q, sizeof(q), "filters[id]=%lld", (long long)id);
	o = as("clara@example.com", METHOD_GET, "/api/support-tickets", q, NULL, &st);
	const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(t,
	    "timeSpentMinutes")), 10);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(t, "updatedAt")), upd);
	cJSON_Delete(o);
	/* Nor can filters or sorting feel for the hidden figures. */
	snprintf(q, sizeof(q), "filters[id]=%lld&filters[timeSpentMinutes][$gt]=50",
	    (long long)id);
	o = as("clara@example.com", METHOD_GET, "/api/support-tickets", q, NULL, &st);
	assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 0);
	cJSON_Delete(o);
	snprintf(q, sizeof(q), "filters[id]=%lld&filters[updatedAt][$gt]=%s",
	    (long long)id, upd);
	o = as("clara@example.com", METHOD_GET, "/api/support-tickets", q, NULL, &st);
	assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 0);
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_GET, "/api/support-tickets", q, NULL, &st);
	assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 1);
	cJSON_Delete(o);
}

/* The audit entries of content type ct for record id, newest first. */
static cJSON *
audit_of(const char *ct, int64_t id)
{
	int st;
	char q[200];
	snprintf(q, sizeof(q), "filters[contentType]=%s&filters[recordId]=%lld&"
	    "sort=id:desc", ct, (long long)id);
	cJSON *o = as("admin@example.com", METHOD_GET, "/api/audit-logs", q, NULL, &st);
	assert_int_equal(st, 200);
	return o;
}

static void
replies_and_notes_by_staff_should_be_audited(void **state)
{
	int st;
	char path[80];
	(void)state;
	cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Audit me\",\"description\":\"d\","
	    "\"category\":\"technical\",\"priority\":\"high\"}}", &st);
	int64_t id = (int64_t)dnum(o, "id");
	cJSON_Delete(o);
	snprintf(path, sizeof(path), "/api/support-tickets/%lld/responses", (long long)id);
	/* The merchant's own reply is not a staff action. */
	o = as("clara@example.com", METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"More details\"}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	o = audit_of("support-tickets", id);
	assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 0);
	cJSON_Delete(o);
	/* An agent's note with time, then a public reply: each reply is
	 * created, and the ticket's change recorded before and after. */
	o = as("agent@example.com", METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"Checked logs\",\"internal\":true,\"timeSpentMinutes\":20}}", &st);
	assert_int_equal(st, 201);
	int64_t note = (int64_t)dnum(o, "id");
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"Fixed\"}}", &st);
	assert_int_equal(st, 201);
	int64_t reply = (int64_t)dnum(o, "id");
	cJSON_Delete(o);
	int64_t rs[] = { note, reply };
	for (size_t i = 0; i < 2; i++) {
		o = audit_of("ticket-responses", rs[i]);
		assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 1);
		const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "action")),
		    "create");
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actor")),
		    "agent@example.com");
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "actorRole")), "agent");
		cJSON_Delete(o);
	}
	o = audit_of("support-tickets", id);
	assert_int_equal((int64_t)unit_num(o, "meta.pagination.total"), 2);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	const cJSON *b = cJSON_GetObjectItem(e, "before"), *a = cJSON_GetObjectItem(e, "after");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(b, "status")), "open");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a, "status")),
	    "waiting_on_merchant");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "firstResponseAt")));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(a, "firstResponseAt")));
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 1);
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "before"), "timeSpentMinutes")), 0);
	assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(e, "after"), "timeSpentMinutes")), 20);
	cJSON_Delete(o);
	/* An API token's reply, the same. */
	o = as("admin@example.com", METHOD_POST, "/api/api-tokens", "", "{\"data\":{"
	    "\"name\":\"helpdesk bot\",\"kind\":\"full-access\"}}", &st);
	assert_int_equal(st, 201);
	char bearer[128];
	snprintf(bearer, sizeof(bearer), "Bearer %s", dstr(o, "accessKey"));
	cJSON_Delete(o);
	o = with_auth(bearer, METHOD_POST, path, "", "{\"data\":{\"body\":"
	    "\"Automatic follow-up\"}}", &st);
	assert_int_equal(st, 201);
	int64_t bot = (int64_t)dnum(o, "id");
	cJSON_Delete(o);
	o = audit_of("ticket-responses", bot);
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actor")),
	    "token:helpdesk bot");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "actorRole")),
	    "api-token");
	cJSON_Delete(o);
}

static void
status_should_follow_the_state_machine(void **state)
{
	int st;
	(void)state;
	cJSON *o = as("agent@example.com", METHOD_PUT, "/api/support-tickets/2", "",
	    "{\"data\":{\"status\":\"resolved\"}}", &st);
	assert_int_equal(st, 200);
	assert_non_null(dstr(o, "resolvedAt"));
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_PUT, "/api/support-tickets/2", "",
	    "{\"data\":{\"status\":\"in_progress\"}}", &st);
	assert_int_equal(st, 409);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "error"), "message")), "A ticket cannot go from resolved to in_progress; "
	    "allowed: open, closed");
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_PUT, "/api/support-tickets/2", "",
	    "{\"data\":{\"status\":\"closed\"}}", &st);
	assert_int_equal(st, 200);
	assert_non_null(dstr(o, "closedAt"));
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_PUT, "/api/support-tickets/2", "",
	    "{\"data\":{\"status\":\"open\"}}", &st);
	assert_int_equal(st, 409);
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "error"), "message")), "none (it is closed)"));
	cJSON_Delete(o);
	o = as("agent@example.com", METHOD_POST, "/api/support-tickets/2/responses", "",
	    "{\"data\":{\"body\":\"late\"}}", &st);
	assert_int_equal(st, 409);
	cJSON_Delete(o);
	o = as("clara@example.com", METHOD_PUT, "/api/support-tickets/1", "",
	    "{\"data\":{\"status\":\"closed\"}}", &st);
	assert_int_equal(st, 403);
	cJSON_Delete(o);
}

static void
assignment_should_take_agents_only(void **state)
{
	int st;
	(void)state;
	sqlite3_stmt *q = db_prepare(app_db(app), "SELECT id FROM users WHERE email = ?");
	int64_t ids[2];
	static const char *const emails[2] = { "agent@example.com", "clara@example.com" };
	for (int i = 0; i < 2; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, emails[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		ids[i] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	char body[96];
	snprintf(body, sizeof(body), "{\"data\":{\"assignee\":%lld}}", (long long)ids[1]);
	cJSON *o = as("admin@example.com", METHOD_PUT, "/api/support-tickets/1/assign", "",
	    body, &st);
	assert_int_equal(st, 400);
	cJSON_Delete(o);
	snprintf(body, sizeof(body), "{\"data\":{\"assignee\":%lld}}", (long long)ids[0]);
	o = as("admin@example.com", METHOD_PUT, "/api/support-tickets/1/assign", "",
	    body, &st);
	assert_int_equal(st, 200);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "data"), "assignee")), ids[0]);
	cJSON_Delete(o);
	/* A blocked agent takes nothing. */
	sqlite3_exec(db_handle(app_db(app)), "UPDATE users SET blocked = 1 WHERE email = "
	    "'agent@example.com'", 0, 0, 0);
	o = as("admin@example.com", METHOD_PUT, "/api/support-tickets/1/assign", "",
	    body, &st);
	assert_int_equal(st, 400);
	cJSON_Delete(o);
	sqlite3_exec(db_handle(app_db(app)), "UPDATE users SET blocked = 0 WHERE email = "
	    "'agent@example.com'", 0, 0, 0);
}

static void
search_should_find_words_within_scope(void **state)
{
	int st;
	(void)state;
	cJSON *o = as("agent@example.com", METHOD_GET, "/api/support-tickets",
	    "q=refusée", NULL, &st);
	assert_int_equal(st, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(o, "data"), 0), "reference")), "TCK-000001");
	cJSON_Delete(o);
	/* Bob's search never returns Clara's ticket. */
	o = as("bob@example.com", METHOD_GET, "/api/support-tickets", "q=refusée", NULL, &st);
	assert_int_equal(st, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 0);
	cJSON_Delete(o);
	/* FTS syntax in the text is just text. */
	static const char *const odd[] = { "q=\"", "q=a AND OR", "q=*", "q=NEAR(x",
	    "q=slow&filters[priority]=low", "q=%27%3B DROP", NULL };
	for (int i = 0; odd[i]; i++) {
		o = as("agent@example.com", METHOD_GET, "/api/support-tickets", odd[i], NULL,
		    &st);
		if (st != 200)
			fail_msg("%s: %d", odd[i], st);
		cJSON_Delete(o);
	}
	o = as("agent@example.com", METHOD_GET, "/api/support-tickets",
	    "q=slow&filters[priority]=low", NULL, &st);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 1);
	cJSON_Delete(o);
}

static int64_t
q(const char *sql)
{
	sqlite3_stmt *st = db_prepare(app_db(app), sql);
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
notifications_should_reach_the_right_people(void **state)
{
	int st;
	(void)state;
	sqlite3_exec(db_handle(app_db(app)), "DELETE FROM email_outbox", 0, 0, 0);
	/* A new ticket, unassigned: every agent hears of it. */
	cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Export CSV\",\"description\":\"Où est l'export ?\","
	    "\"category\":\"technical\",\"priority\":\"medium\"}}", &st);
	assert_int_equal(st, 201);
	char path[96];
	snprintf(path, sizeof(path), "/api/support-tickets/%.0f/responses",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "id")));
	cJSON_Delete(o);
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE kind = 'ticket_new' "
	    "AND recipient = 'agent@example.com' AND subject LIKE '%New ticket: Export CSV'"),
	    1);
	/* An internal note tells nobody; a public reply tells the merchant, in
	 * French, with its text. */
	o = as("agent@example.com", METHOD_POST, path, "",
	    "{\"data\":{\"body\":\"note\",\"internal\":true}}", &st);
	cJSON_Delete(o);
	assert_int_equal(q("SELECT count(*) FROM email_outbox"), 1);
	o = as("agent@example.com", METHOD_POST, path, "",
	    "{\"data\":{\"body\":\"Menu Commandes, puis Exporter.\"}}", &st);
	cJSON_Delete(o);
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE kind = 'ticket_reply' "
	    "AND recipient = 'contact@boutique-clara.fr' AND subject LIKE "
	    "'%Réponse à votre demande : Export CSV' AND body LIKE "
	    "'%Menu Commandes, puis Exporter.%'"), 1);
	/* The merchant replies: the agents hear of it. */
	o = as("clara@example.com", METHOD_POST, path, "",
	    "{\"data\":{\"body\":\"Merci !\"}}", &st);
	cJSON_Delete(o);
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE kind = "
	    "'ticket_merchant_reply'"), 1);
	/* Resolution: the merchant, in English when that is its language. */
	sqlite3_exec(db_handle(app_db(app)), "UPDATE merchants SET language = 'en' "
	    "WHERE slug = 'boutique-clara'", 0, 0, 0);
	path[strlen(path) - strlen("/responses")] = '\0';
	o = as("agent@example.com", METHOD_PUT, path, "",
	    "{\"data\":{\"status\":\"resolved\"}}", &st);
	assert_int_equal(st, 200);
	cJSON_Delete(o);
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE kind = "
	    "'ticket_resolved' AND subject LIKE '%Request resolved: Export CSV'"), 1);
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE body LIKE '%note%'"), 0);
}

static void
resolved_tickets_should_close_after_seven_days(void **state)
{
	(void)state;
	int64_t now = clock_now_ms();
	char ts[25], sql[300];
	/* Resolved 8 and 6 days ago. */
	clock_format_ms(now - 8 * CLOCK_DAY_MS, ts);
	snprintf(sql, sizeof(sql), "UPDATE support_tickets SET status = 'resolved', "
	    "resolved_at = '%s' WHERE reference = 'TCK-000001'", ts);
	sqlite3_exec(db_handle(app_db(app)), sql, 0, 0, 0);
	clock_format_ms(now - 6 * CLOCK_DAY_MS, ts);
	snprintf(sql, sizeof(sql), "UPDATE support_tickets SET status = 'resolved', "
	    "resolved_at = '%s' WHERE reference = 'TCK-000003'", ts);
	sqlite3_exec(db_handle(app_db(app)), sql, 0, 0, 0);
	assert_int_equal(tickets_autoclose(app_db(app), now), 1);
	assert_int_equal(q("SELECT count(*) FROM support_tickets WHERE reference = "
	    "'TCK-000001' AND status = 'closed' AND closed_at IS NOT NULL"), 1);
	assert_int_equal(q("SELECT count(*) FROM support_tickets WHERE reference = "
	    "'TCK-000003' AND status = 'resolved'"), 1);
	/* Two days later, the other one too. */
	assert_int_equal(tickets_autoclose(app_db(app), now + 2 * CLOCK_DAY_MS), 1);
}

static void
round_robin_should_spread_tickets_by_load(void **state)
{
	int st;
	const char *why;
	(void)state;
	assert_int_equal(db_users_create(app_db(app), "agent2@example.com", NULL,
	    "long-enough-pw", "agent", 0, NULL, &why), ERR_OK);
	assert_int_equal(db_users_create(app_db(app), "agent3@example.com", NULL,
	    "long-enough-pw", "agent", 0, NULL, &why), ERR_OK);
	/* Start from no open load: close everything open. */
	sqlite3_exec(db_handle(app_db(app)), "UPDATE support_tickets SET status = "
	    "'closed'", 0, 0, 0);
	setenv("PLATFORM_ROUND_ROBIN", "1", 1);
	unit_config_load();
	for (int i = 0; i < 9; i++) {
		cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
		    "{\"data\":{\"subject\":\"Round robin\",\"description\":\"x\","
		    "\"category\":\"account\",\"priority\":\"low\"}}", &st);
		assert_int_equal(st, 201);
		cJSON_Delete(o);
	}
	/* Three agents, nine tickets: three each. */
	assert_int_equal(q("SELECT count(DISTINCT assignee_id) FROM support_tickets WHERE "
	    "subject = 'Round robin'"), 3);
	assert_int_equal(q("SELECT max(n) - min(n) FROM (SELECT count(*) AS n FROM "
	    "support_tickets WHERE subject = 'Round robin' GROUP BY assignee_id)"), 0);
	/* Weighted by open load: an agent whose tickets are done takes the next
	 * two, and a blocked agent none. */
	sqlite3_exec(db_handle(app_db(app)), "UPDATE support_tickets SET status = "
	    "'resolved' WHERE assignee_id = (SELECT id FROM users WHERE email = "
	    "'agent2@example.com')", 0, 0, 0);
	sqlite3_exec(db_handle(app_db(app)), "UPDATE users SET blocked = 1 WHERE email = "
	    "'agent3@example.com'", 0, 0, 0);
	for (int i = 0; i < 2; i++) {
		cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
		    "{\"data\":{\"subject\":\"Weighted\",\"description\":\"x\","
		    "\"category\":\"account\",\"priority\":\"low\"}}", &st);
		cJSON_Delete(o);
	}
	assert_int_equal(q("SELECT count(*) FROM support_tickets t JOIN users u ON "
	    "u.id = t.assignee_id WHERE t.subject = 'Weighted' AND u.email = "
	    "'agent2@example.com'"), 2);
	unsetenv("PLATFORM_ROUND_ROBIN");
	unit_config_load();
	/* Its e-mail went to the assignee only. */
	assert_true(q("SELECT count(*) FROM email_outbox WHERE kind = 'ticket_new' AND "
	    "recipient = 'agent2@example.com' AND subject LIKE '%Weighted'") == 2);
}

/* A group commit's requests: each as the demo user with this e-mail. */
struct grouped {
	struct request	 req;
	struct response	 resp;
};

static void
group_add(struct grouped *g, const char *email, enum http_method m, const char *path,
    const char *body)
{
	char auth[JWT_MAX_LEN + 16];
	unit_bearer(app, email, auth, sizeof(auth));
	unit_request(&g->req, m, path, "");
	g->req.body = body;
	g->req.body_len = strlen(body);
	http_add_header(&g->req, "content-type", "application/json");
	http_add_header(&g->req, "authorization", auth);
	resp_init(&g->resp);
}

/* Runs the n requests g[] as one group commit. */
static void
group_run(struct grouped *g, size_t n, db_end_fn also_at_end)
{
	struct request *reqs[8];
	struct response *resps[8];
	for (size_t i = 0; i < n; i++) {
		reqs[i] = &g[i].req;
		resps[i] = &g[i].resp;
		assert_true(app_groupable(app, reqs[i]));
	}
	app_group_queue(app);
	assert_int_equal(app_group_begin(app), ERR_OK);
	if (also_at_end)
		assert_int_equal(db_at_end(app_db(app), also_at_end), ERR_OK);
	app_handle_group(app, reqs, resps, n);
}

static void
group_free(struct grouped *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		resp_free(&g[i].resp);
		arena_free(&g[i].req.arena);
	}
}

/* The last ticket number given. */
static int64_t
last_ticket_number(void)
{
	int64_t last = 0;
	assert_int_equal(db_get(app_db(app), "SELECT last FROM invoice_counters WHERE "
	    "series = 'TCK' AND year = 0", "", "I", &last), ERR_OK);
	return last;
}

/* How many tickets a search by this user finds. */
static int
found(const char *email, const char *query)
{
	int st;
	cJSON *o = as(email, METHOD_GET, "/api/support-tickets", query, NULL, &st);
	assert_int_equal(st, 200);
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(o, "data"));
	cJSON_Delete(o);
	return n;
}

static void
group_commit_should_answer_each_write_as_alone(void **state)
{
	struct grouped g[4];
	struct db_counters before, after;
	char ref[32], replies[64];
	int64_t open_one = 0;
	(void)state;
	int64_t last = last_ticket_number();
	assert_int_equal(db_get(app_db(app), "SELECT min(id) FROM support_tickets WHERE "
	    "status = 'open'", "", "I", &open_one), ERR_OK);
	snprintf(replies, sizeof(replies), "/api/support-tickets/%lld/responses",
	    (long long)open_one);
	db_counters(app_db(app), &before);
	group_add(&g[0], "clara@example.com", METHOD_POST, "/api/support-tickets",
	    "{\"data\":{\"subject\":\"Grouped parcel\",\"description\":\"Where is "
	    "it\",\"category\":\"technical\",\"priority\":\"low\"}}");
	group_add(&g[1], "bob@example.com", METHOD_POST, "/api/support-tickets",
	    "{\"data\":{\"subject\":\"Grouped bikes\",\"description\":\"Two "
	    "wheels\",\"category\":\"billing\",\"priority\":\"high\"}}");
	group_add(&g[2], "clara@example.com", METHOD_POST, "/api/support-tickets",
	    "{\"data\":{\"description\":\"No subject\",\"category\":\"technical\"}}");
	group_add(&g[3], "agent@example.com", METHOD_POST, replies,
	    "{\"data\":{\"body\":\"Answered in a group\"}}");
	group_run(g, 4, NULL);
	assert_int_equal(g[0].resp.status, 201);
	assert_int_equal(g[1].resp.status, 201);
	assert_int_equal(g[2].resp.status, 400);
	assert_int_equal(g[3].resp.status, 201);
	/* Gapless: the refused one took no number. */
	cJSON *a = cJSON_Parse(buf_str(&g[0].resp.body));
	cJSON *b = cJSON_Parse(buf_str(&g[1].resp.body));
	snprintf(ref, sizeof(ref), "TCK-%06lld", (long long)last + 1);
	assert_string_equal(dstr(a, "reference"), ref);
	snprintf(ref, sizeof(ref), "TCK-%06lld", (long long)last + 2);
	assert_string_equal(dstr(b, "reference"), ref);
	assert_string_equal(dstr(b, "subject"), "Grouped bikes");
	cJSON_Delete(a);
	cJSON_Delete(b);
	assert_non_null(strstr(buf_str(&g[2].resp.body), "\"name\":\"ValidationError\""));
	assert_non_null(strstr(buf_str(&g[2].resp.body), "\"path\":[\"subject\"]"));
	assert_int_equal(last_ticket_number(), last + 2);
	/* Indexed once the group committed, each within its merchant. */
	assert_int_equal(found("clara@example.com", "q=grouped"), 1);
	assert_int_equal(found("bob@example.com", "q=grouped"), 1);
	assert_int_equal(found("agent@example.com", "q=grouped"), 2);
	assert_int_equal(found("agent@example.com", "q=wheels"), 1);
	db_counters(app_db(app), &after);
	assert_int_equal(after.group_commits, before.group_commits + 1);
	assert_int_equal(after.group_writes, before.group_writes + 4);
	group_free(g, 4);
}

static enum err
fail_at_end(struct db *db, int commit)
{
	(void)db;
	return commit ? ERR_DB : ERR_OK;
}

static void
group_commit_should_answer_every_write_the_error_when_its_commit_fails(void **state)
{
	struct grouped g[2];
	(void)state;
	int64_t last = last_ticket_number();
	group_add(&g[0], "clara@example.com", METHOD_POST, "/api/support-tickets",
	    "{\"data\":{\"subject\":\"Vanished parcel\",\"description\":\"Lost\","
	    "\"category\":\"technical\"}}");
	group_add(&g[1], "bob@example.com", METHOD_POST, "/api/support-tickets",
	    "{\"data\":{\"subject\":\"Vanished bikes\",\"description\":\"Lost\","
	    "\"category\":\"technical\"}}");
	/* The commit fails: each answer says so, and nothing was written. */
	group_run(g, 2, fail_at_end);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g[i].resp.status, 500);
		assert_string_equal(buf_str(&g[i].resp.body), "{\"data\":null,\"error\":"
		    "{\"status\":500,\"name\":\"InternalServerError\",\"message\":"
		    "\"Internal Server Error\",\"details\":{}}}");
	}
	assert_int_equal(last_ticket_number(), last);
	assert_int_equal(found("agent@example.com", "q=vanished"), 0);
	group_free(g, 2);
	/* What was left to index is forgotten: the next ticket alone is. */
	int st;
	cJSON *o = as("clara@example.com", METHOD_POST, "/api/support-tickets", "",
	    "{\"data\":{\"subject\":\"Vanished again\",\"description\":\"Found\","
	    "\"category\":\"technical\",\"priority\":\"low\"}}", &st);
	assert_int_equal(st, 201);
	cJSON_Delete(o);
	assert_int_equal(found("agent@example.com", "q=vanished"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sla_should_count_calendar_hours_by_priority),
		cmocka_unit_test(sla_should_count_business_hours_across_the_weekend),
		cmocka_unit_test(tickets_should_get_gapless_references_and_their_due_time),
		cmocka_unit_test(replies_should_drive_the_ticket),
		cmocka_unit_test(merchants_should_never_see_internal_notes),
		cmocka_unit_test(internal_notes_should_leave_no_trace_for_the_merchant),
		cmocka_unit_test(replies_and_notes_by_staff_should_be_audited),
		cmocka_unit_test(status_should_follow_the_state_machine),
		cmocka_unit_test(assignment_should_take_agents_only),
		cmocka_unit_test(search_should_find_words_within_scope),
		cmocka_unit_test(notifications_should_reach_the_right_people),
		cmocka_unit_test(resolved_tickets_should_close_after_seven_days),
		cmocka_unit_test(round_robin_should_spread_tickets_by_load),
		cmocka_unit_test(group_commit_should_answer_each_write_as_alone),
		cmocka_unit_test(
		    group_commit_should_answer_every_write_the_error_when_its_commit_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
