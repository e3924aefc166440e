/* Support statistics against figures worked out by hand on a fixed set. */
#include "unit.h"
#include "tickets.h"

static char dbpath[256];
static struct app *app;

static void
exec_sql(const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db_handle(app_db(app)), sql, 0, 0, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static void
ticket(int id, const char *created, const char *due, const char *first,
    const char *resolved, const char *status, const char *priority, int assigned)
{
	char sql[900];
	snprintf(sql, sizeof(sql), "INSERT INTO support_tickets (id, document_id, "
	    "reference, merchant_id, subject, description, category, priority, status, "
	    "assignee_id, first_response_at, first_response_due_at, resolved_at, "
	    "created_at, updated_at, public_updated_at) VALUES (%d, 'supportstats%012d', "
	    "'TCK-9%05d', 1, 's', 'd', 'technical', '%s', '%s', %s, %s%s%s, '%s', "
	    "%s%s%s, '%s', '%s', '%s')",
	    id, id, id, priority, status, assigned ? "(SELECT id FROM users WHERE email "
	    "= 'agent@example.com')" : "NULL", first ? "'" : "", first ? first : "NULL",
	    first ? "'" : "", due, resolved ? "'" : "", resolved ? resolved : "NULL",
	    resolved ? "'" : "", created, created, created);
	exec_sql(sql);
}

static void
reply(int ticket, const char *at, int internal, int minutes)
{
	char sql[600];
	static int n;
	n++;
	snprintf(sql, sizeof(sql), "INSERT INTO ticket_responses (document_id, ticket_id, "
	    "merchant_id, author_id, author_role, body, internal, time_spent_minutes, "
	    "created_at, updated_at) VALUES ('supportreply%012d', %d, 1, (SELECT id FROM "
	    "users WHERE email = 'agent@example.com'), 'agent', 'b', %d, %d, '%s', '%s')",
	    n, ticket, internal, minutes, at, at);
	exec_sql(sql);
}

static int
setup(void **state)
{
	(void)state;
	if (unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app) != 0)
		return -1;
	ticket(1, "2026-11-02T10:00:00.000Z", "2026-11-02T11:00:00.000Z",
	    "2026-11-02T10:30:00.000Z", "2026-11-02T12:00:00.000Z", "closed", "urgent", 0);
	ticket(2, "2026-11-03T09:00:00.000Z", "2026-11-03T13:00:00.000Z",
	    "2026-11-03T15:00:00.000Z", "2026-11-05T09:00:00.000Z", "resolved", "high", 0);
	ticket(3, "2026-11-10T08:00:00.000Z", "2026-11-10T16:00:00.000Z",
	    "2026-11-10T09:00:00.000Z", NULL, "waiting_on_merchant", "medium", 1);
	ticket(4, "2026-11-20T08:00:00.000Z", "2026-11-21T08:00:00.000Z", NULL, NULL,
	    "open", "low", 1);
	ticket(5, "2026-10-01T08:00:00.000Z", "2026-10-02T08:00:00.000Z", NULL, NULL,
	    "open", "low", 0);
	reply(1, "2026-11-02T10:30:00.000Z", 0, 10);
	reply(3, "2026-11-10T09:00:00.000Z", 1, 20);
	reply(5, "2026-10-01T09:00:00.000Z", 1, 99);	/* outside the period */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	app_close(app);
	unit_rmdb(dbpath);
	return 0;
}

static void
support_stats_should_match_hand_computed_figures(void **state)
{
	(void)state;
	cJSON *o = tickets_stats(app_db(app), "2026-11-01T00:00:00.000Z",
	    "2026-11-25T00:00:00.000Z", "2026-11-25T12:00:00.000Z");
	/* Backlog: everything not closed (2 to 5). */
	assert_int_equal(unit_num(o, "backlog.status.open"), 2);
	assert_int_equal(unit_num(o, "backlog.status.waiting_on_merchant"), 1);
	assert_int_equal(unit_num(o, "backlog.status.resolved"), 1);
	assert_int_equal(unit_num(o, "backlog.priority.low"), 2);
	assert_int_equal(unit_num(o, "backlog.priority.high"), 1);
	assert_int_equal(unit_num(o, "backlog.category.technical"), 4);
	/* First response, tickets 1-3 (30, 360, 60 minutes): mean 150, median
	 * 60, p90 (nearest rank: the 3rd of 3) 360. */
	assert_int_equal(unit_num(o, "firstResponse.count"), 3);
	assert_true(unit_num(o, "firstResponse.meanMinutes") == 150);
	assert_true(unit_num(o, "firstResponse.medianMinutes") == 60);
	assert_true(unit_num(o, "firstResponse.p90Minutes") == 360);
	/* Resolution, tickets 1-2 (120, 2880): mean and median 1500, p90 2880. */
	assert_int_equal(unit_num(o, "resolution.count"), 2);
	assert_true(unit_num(o, "resolution.meanMinutes") == 1500);
	assert_true(unit_num(o, "resolution.medianMinutes") == 1500);
	assert_true(unit_num(o, "resolution.p90Minutes") == 2880);
	/* Answered late: 2. Unanswered past due now: 4 and 5. */
	assert_int_equal(unit_num(o, "slaBreaches.answeredLate"), 1);
	assert_int_equal(unit_num(o, "slaBreaches.openPastDue"), 2);
	/* The agent: 3 and 4 open; two replies, 30 minutes, in the period. */
	const cJSON *a, *agent = NULL;
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "agents"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "email")),
		    "agent@example.com") == 0)
			agent = a;
	assert_non_null(agent);
	assert_int_equal(unit_num(agent, "openTickets"), 2);
	assert_int_equal(unit_num(agent, "replies"), 2);
	assert_int_equal(unit_num(agent, "timeSpentMinutes"), 30);
	/* By week (%W, Monday first): W44 created 1, 2 and resolved 1, 2; W45
	 * created 3; W46 created 4. */
	static const struct { const char *week; int created, resolved; } w[3] = {
		{ "2026-W44", 2, 2 }, { "2026-W45", 1, 0 }, { "2026-W46", 1, 0 },
	};
	const cJSON *weeks = cJSON_GetObjectItem(o, "byWeek");
	assert_int_equal(cJSON_GetArraySize(weeks), 3);
	for (int i = 0; i < 3; i++) {
		const cJSON *x = cJSON_GetArrayItem(weeks, i);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "week")),
		    w[i].week);
		assert_int_equal(unit_num(x, "created"), w[i].created);
		assert_int_equal(unit_num(x, "resolved"), w[i].resolved);
	}
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(support_stats_should_match_hand_computed_figures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
