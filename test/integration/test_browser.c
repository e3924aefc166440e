/*
 * The dashboards in a real browser: Debian's chromium, driven by
 * playwright-core (test/browser/run.mjs), through the real stack. An
 * admin assigns and answers a ticket, creates a plan, restarts a shop and
 * watches it come back; a merchant sees only its own, opens a ticket,
 * downloads an invoice and cancels its subscription; the language switch
 * holds from page to page; a ticket subject made of markup is text.
 * Screenshots of each page are kept in $BUILD/screenshots.
 */
#include "harness.h"

static char shots[512];

static int
setup(void **state)
{
	char jwt[2048];
	(void)state;
	if (access("/usr/bin/chromium", X_OK) != 0 ||
	    access("test/browser/node_modules/playwright-core/package.json", R_OK) != 0) {
		fprintf(stderr, "browser test: chromium or playwright-core is missing "
		    "(make deps)\n");
		return -1;
	}
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build/rel";
	snprintf(shots, sizeof(shots), "%s/screenshots", build);
	mkdir(shots, 0755);
	if (stack_start(NULL) != 0 || stack_login("clara@example.com", "demo-password",
	    jwt) != 200)
		return -1;
	/* Boutique Clara asks for help with a subject made of markup. */
	snprintf(harness_auth, sizeof(harness_auth), "Authorization: Bearer %s", jwt);
	struct reply r = request("POST", "/api/support-tickets", "{\"data\":{\"subject\":"
	    "\"<script>alert('x')</script> Checkout fails\",\"description\":\"The "
	    "button <b>Pay</b> does nothing.\",\"category\":\"technical\",\"priority\":"
	    "\"urgent\"}}");
	harness_auth[0] = '\0';
	long st = r.status;
	reply_free(&r);
	return st == 201 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* Runs scenario in the browser; fails with what it printed. */
static void
scenario(const char *name)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "node test/browser/run.mjs %s '%s' '%s' 2>&1", name,
	    S.base, shots);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[8192];
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0 || strcmp(out, "ok\n") != 0)
		fail_msg("browser scenario %s:\n%s", name, out);
}

static void
admin_should_handle_a_ticket_a_plan_and_a_shop_in_the_browser(void **state)
{
	(void)state;
	scenario("admin");
}

static void
merchant_should_see_its_own_and_act_in_the_browser(void **state)
{
	(void)state;
	scenario("merchant");
}

static void
language_switch_should_hold_from_page_to_page(void **state)
{
	(void)state;
	scenario("language");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admin_should_handle_a_ticket_a_plan_and_a_shop_in_the_browser),
		cmocka_unit_test(merchant_should_see_its_own_and_act_in_the_browser),
		cmocka_unit_test(language_switch_should_hold_from_page_to_page),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
