/*
 * Processes of the development stack killed (SIGKILL) and left unreaped,
 * as zombies: this test makes itself their reaper (a child subreaper) and
 * does not reap them, which is what made `make run` and `stack.sh status`
 * take a dead process for a live one. `stack.sh start` must then start
 * what is dead, and the stack's supervisor must start again a pool master
 * or a background worker that died, as systemd does in production.
 *
 * And the database's disk filled up (a tmpfs of its own): writes answer
 * 503 with Retry-After and write nothing, reads go on, the episode is
 * logged once, and writes are accepted again as soon as space returns.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

static char disk[64];	/* the database's own small file system */
static char env[128];	/* PLATFORM_DB on it, for every start */

static int
setup(void **state)
{
	(void)state;
	char cmd[256];
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		return -1;
	snprintf(disk, sizeof(disk), "/tmp/itest-disk-%d-XXXXXX", (int)getpid());
	if (mkdtemp(disk) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=48m,mode=0755 tmpfs %s", disk);
	if (system(cmd) != 0)
		return -1;
	snprintf(env, sizeof(env), "PLATFORM_DB=%s/platform.db", disk);
	return stack_start(env);
}

static int
teardown(void **state)
{
	(void)state;
	char cmd[256];
	int rc = stack_stop();
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	snprintf(cmd, sizeof(cmd), "umount %s && rmdir %s", disk, disk);
	if (system(cmd) != 0)
		rc = -1;
	return rc;
}

/* The state letter /proc gives process pid ('Z': a zombie), or 0. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

/* Kills pid and waits until it is a zombie (it is ours, unreaped). */
static void
kill_to_zombie(pid_t pid)
{
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 200 && proc_state(pid) != 'Z'; i++)
		usleep(10000);
	assert_int_equal(proc_state(pid), 'Z');
}

static int
health(void)
{
	struct reply r = request("GET", "/health", NULL);
	long st = r.status;
	free(r.body);
	free(r.headers);
	return (int)st;
}

static void
start_should_start_again_what_died_even_unreaped(void **state)
{
	(void)state;
	char cmd[1024], out[2048];
	/* Without the supervisor, to see what start does by itself. */
	kill_to_zombie(stack_pid("supervisor"));
	pid_t worker = stack_pid("worker");
	kill_to_zombie(worker);
	/* status says the worker is stopped, not "running" for a zombie. */
	snprintf(cmd, sizeof(cmd), "PLATFORM_VAR=%s sh deploy/stack.sh status 2>&1", S.var);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_not_equal(pclose(p), 0);
	if (strstr(out, "worker: stopped") == NULL)
		fail_msg("status: %s", out);
	/* start does not answer "already running": the worker runs again. */
	assert_int_equal(stack_cmd("start", env), 0);
	pid_t again = stack_pid("worker");
	assert_true(again > 0 && again != worker);
	assert_true(proc_state(again) != 0 && proc_state(again) != 'Z');
	assert_true(stack_pid("supervisor") > 0);
	assert_int_equal(health(), 200);
}

static void
supervisor_should_start_a_dead_pool_and_worker_again(void **state)
{
	(void)state;
	pid_t pool = stack_pid("platform"), worker = stack_pid("worker");
	kill_to_zombie(pool);
	kill_to_zombie(worker);
	int ok = 0;
	for (int i = 0; i < 100 && !ok; i++) {
		usleep(100000);
		pid_t p = stack_pid("platform"), w = stack_pid("worker");
		ok = p > 0 && p != pool && w > 0 && w != worker &&
		    proc_state(w) != 'Z' && proc_state(w) != 0 && health() == 200;
	}
	assert_true(ok);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "grep -q 'the platform pool is gone' %s/log/supervisor.log "
	    "&& grep -q 'the worker is gone' %s/log/supervisor.log", S.var, S.var);
	assert_int_equal(system(cmd), 0);
	/* The data is whole: the public API answers from it. */
	struct reply r = request("GET", "/api/subscription-plans/active", NULL);
	assert_reply_has(r, 200, "\"name\":\"Starter\"");
	free(r.body);
	free(r.headers);
}

#define TICKET "{\"data\":{\"subject\":\"Disk\",\"description\":\"Is there " \
	"room?\",\"category\":\"technical\",\"priority\":\"low\"}}"

static long
post_ticket(struct reply *out)
{
	struct reply r = request("POST", "/api/support-tickets", TICKET);
	long st = r.status;
	if (out)
		*out = r;
	else {
		free(r.body);
		free(r.headers);
	}
	return st;
}

static long
tickets_total(void)
{
	struct reply r = request("GET", "/api/support-tickets?pagination[pageSize]=1", NULL);
	const char *t = strstr(r.body, "\"total\":");
	long n = t ? atol(t + 8) : -1;
	free(r.body);
	free(r.headers);
	return n;
}

static int
log_count(const char *what)
{
	char cmd[1024], out[32];
	snprintf(cmd, sizeof(cmd), "cat %s/log/platform.log %s/log/worker.log | grep -c '%s'",
	    S.var, S.var, what);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return atoi(out);
}

static void
a_full_disk_should_answer_503_write_nothing_and_recover(void **state)
{
	(void)state;
	char jwt[2048], cmd[256];
	assert_int_equal(stack_login("clara@example.com", "demo-password", jwt), 200);
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	assert_int_equal(post_ticket(NULL), 201);
	assert_int_equal(log_count("the disk is full"), 0);
	/* Every byte left taken. */
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null; true",
	    disk);
	assert_int_equal(system(cmd), 0);
	/* The WAL may still hold room for a few writes. */
	long before = tickets_total(), made = 0, st = 0;
	struct reply r = { 0 };
	for (int i = 0; i < 500; i++) {
		if ((st = post_ticket(&r)) != 201)
			break;
		made++;
		free(r.body);
		free(r.headers);
		r.body = r.headers = NULL;
	}
	assert_non_null(r.body);
	assert_reply(r, 503, "{\"data\":null,\"error\":{\"status\":503,\"name\":"
	    "\"ServiceUnavailableError\",\"message\":\"The server's disk is full: "
	    "nothing was written. Try again later\",\"details\":{}}}");
	if (strcasestr(r.headers, "retry-after: 30\r\n") == NULL)
		fail_msg("no Retry-After: %s", r.headers);
	free(r.body);
	free(r.headers);
	for (int i = 0; i < 5; i++)
		assert_int_equal(post_ticket(NULL), 503);
	/* Reads go on; nothing refused was written; one line says it all. */
	struct reply plans = request("GET", "/api/subscription-plans/active", NULL);
	assert_int_equal(plans.status, 200);
	free(plans.body);
	free(plans.headers);
	assert_int_equal(tickets_total(), before + made);
	assert_int_equal(log_count("the disk is full"), 1);
	/* Space back: the next write goes through. */
	snprintf(cmd, sizeof(cmd), "rm -f %s/filler", disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(post_ticket(NULL), 201);
	assert_int_equal(tickets_total(), before + made + 1);
	assert_int_equal(log_count("disk space is back"), 1);
	harness_auth[0] = '\0';
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_should_start_again_what_died_even_unreaped),
		cmocka_unit_test(supervisor_should_start_a_dead_pool_and_worker_again),
		cmocka_unit_test(a_full_disk_should_answer_503_write_nothing_and_recover),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
