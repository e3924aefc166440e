/*
 * Backups and restore against the real stack: `platformctl backup` while a
 * merchant opens tickets without pause, then `platformctl restore` into a
 * fresh var/ and the stack started on it. Every ticket acknowledged before
 * the backup started is there, the ticket and invoice sequences have no
 * gap and go on from where they were; a restore is refused while the
 * platform runs, and a file that is not a sound database is refused.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

static int
setup(void **state)
{
	(void)state;
	return stack_start(NULL);
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* platformctl with PLATFORM_VAR=var; returns its exit status, its output
 * in out. */
static int
ctl(const char *var, const char *args, char *out, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "PLATFORM_VAR=%s %s/bin/platformctl %s 2>&1", var,
	    getenv("BUILD") ? getenv("BUILD") : "build/rel", args);
	FILE *p = popen(cmd, "r");
	size_t got = p ? fread(out, 1, n - 1, p) : 0;
	out[got] = '\0';
	int rc = p ? pclose(p) : -1;
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A child that opens tickets as the merchant until killed, writing "id
 * acknowledged-at-ms" for each 201 to path. */
static pid_t
writer(const char *path)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		_exit(1);
	setvbuf(f, NULL, _IOLBF, 0);
	for (;;) {
		struct reply r = request("POST", "/api/support-tickets", "{\"data\":{"
		    "\"subject\":\"Under backup\",\"description\":\"Written while the "
		    "backup runs\",\"category\":\"technical\",\"priority\":\"low\"}}");
		int64_t at = now_ms();
		if (r.status == 201) {
			const char *id = strstr(r.body, "\"id\":");
			if (id)
				fprintf(f, "%lld %lld\n", atoll(id + 5), (long long)at);
		}
		free(r.body);
		free(r.headers);
	}
}

static int64_t
db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	int64_t v = stack_db_int(db, sql);
	sqlite3_close(db);
	return v;
}

static void
backup_should_keep_every_acknowledged_write_and_restore_whole(void **state)
{
	(void)state;
	char jwt[2048], out[4096], file[600], acks[600], args[700];
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	snprintf(file, sizeof(file), "%s/backup.db", S.var);
	snprintf(acks, sizeof(acks), "%s/acks", S.var);

	pid_t w = writer(acks);
	assert_true(w > 0);
	usleep(700000);
	int64_t started = now_ms();
	snprintf(args, sizeof(args), "backup %s", file);
	int rc = ctl(S.var, args, out, sizeof(out));
	usleep(300000);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	if (rc != 0)
		fail_msg("backup: %s", out);
	assert_non_null(strstr(out, "backed up to "));
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Every ticket acknowledged before the backup's start is in it; the
	 * platform kept acknowledging writes meanwhile and after. */
	FILE *f = fopen(acks, "r");
	assert_non_null(f);
	long long id, at;
	int before = 0, after = 0;
	sqlite3 *b;
	assert_int_equal(sqlite3_open_v2(file, &b, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	while (fscanf(f, "%lld %lld", &id, &at) == 2) {
		if (at >= started) {
			after++;
			continue;
		}
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM support_tickets WHERE id = %lld",
		    id);
		if (stack_db_int(b, sql) != 1)
			fail_msg("ticket %lld, acknowledged before the backup, is missing", id);
		before++;
	}
	fclose(f);
	sqlite3_close(b);
	assert_true(before > 10);
	assert_true(after > 0);

	/* No restore while the platform runs on that var/. */
	snprintf(args, sizeof(args), "restore %s", file);
	assert_int_not_equal(ctl(S.var, args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "the platform is running"));
	/* Nor of a file that is not a sound database. */
	snprintf(args, sizeof(args), "restore %s", acks);
	assert_int_not_equal(ctl(S.var, args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "restore:"));

	/* Into a fresh var/, and the stack on it. */
	assert_int_equal(stack_cmd("stop", NULL), 0);
	char old[sizeof(S.var)], fresh[sizeof(S.var)];
	snprintf(old, sizeof(old), "%s", S.var);
	snprintf(fresh, sizeof(fresh), "/tmp/itest-restore-%d-XXXXXX", (int)getpid());
	assert_non_null(mkdtemp(fresh));
	chmod(fresh, 0755);
	snprintf(args, sizeof(args), "restore %s", file);
	if (ctl(fresh, args, out, sizeof(out)) != 0)
		fail_msg("restore: %s", out);
	char restored[700];
	snprintf(restored, sizeof(restored), "%s/platform.db", fresh);
	int64_t last = db_int(restored, "SELECT last FROM invoice_counters WHERE "
	    "series = 'TCK'");
	assert_true(last == db_int(restored, "SELECT count(*) FROM support_tickets"));
	assert_true(last == db_int(restored, "SELECT max(id) FROM support_tickets"));
	/* Every invoice number allocated is used, once. */
	assert_true(db_int(restored, "SELECT coalesce(sum(last), 0) FROM invoice_counters "
	    "WHERE series != 'TCK'") == db_int(restored, "SELECT count(*) FROM invoices"));

	snprintf(S.var, sizeof(S.var), "%s", fresh);
	snprintf(S.cafile, sizeof(S.cafile), "%s/tls/cert.pem", S.var);
	assert_int_equal(stack_cmd("start", NULL), 0);
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	struct reply r = request("POST", "/api/support-tickets", "{\"data\":{"
	    "\"subject\":\"After the restore\",\"description\":\"The sequence goes on\","
	    "\"category\":\"technical\",\"priority\":\"low\"}}");
	char want[64];
	snprintf(want, sizeof(want), "\"reference\":\"TCK-%06lld\"", (long long)last + 1);
	assert_reply_has(r, 201, want);
	free(r.body);
	free(r.headers);
	harness_auth[0] = '\0';
	/* The old var/ goes; teardown stops the stack on the fresh one. */
	snprintf(args, sizeof(args), "rm -rf %s", old);
	assert_int_equal(system(args), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backup_should_keep_every_acknowledged_write_and_restore_whole),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
