/*
 * Page test: headless Debian chromium loads the pricing page from the real
 * stack and we read the DOM it built: the plans are there, and a plan
 * named <script>alert(1)</script> shows as text, not as a script.
 */
#include "harness.h"

static char dom_path[400], profile[400];

static int
setup(void **state)
{
	(void)state;
	if (access("/usr/bin/chromium", X_OK) != 0) {
		fprintf(stderr, "page test: /usr/bin/chromium is missing (make deps)\n");
		return -1;
	}
	if (stack_start(NULL) != 0)
		return -1;
	return stack_as_admin();
}

static int
teardown(void **state)
{
	(void)state;
	return stack_stop();
}

/* Loads url in headless chromium; returns the serialised DOM (caller frees). */
static char *
chromium_dom(const char *path)
{
	char cmd[2048];
	snprintf(dom_path, sizeof(dom_path), "%s/dom.html", S.var);
	snprintf(profile, sizeof(profile), "%s/chromium-profile", S.var);
	snprintf(cmd, sizeof(cmd), "/usr/bin/chromium --headless --no-sandbox "
	    "--disable-gpu --disable-quic --no-first-run "
	    "--disable-background-networking --disable-component-update "
	    "--disable-sync --ignore-certificate-errors --user-data-dir=%s "
	    "--virtual-time-budget=3000 --dump-dom '%s%s' > %s 2>/dev/null",
	    profile, S.base, path, dom_path);
	if (system(cmd) != 0)
		return NULL;
	FILE *f = fopen(dom_path, "r");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
pricing_page_should_show_the_plans(void **state)
{
	(void)state;
	/* In English (the browser asks for it), then in French. */
	static const struct { const char *path, *want[9]; } pages[] = {
		{ "/marketplace/plans.html?lang=en", {
			"<html lang=\"en\">",
			"<h2 class=\"plan-name\">Starter</h2>",
			"<h2 class=\"plan-name\">Business</h2>",
			"<h2 class=\"plan-name\">Enterprise</h2>",
			"<span class=\"amount\">29.00</span>",
			"14-day free trial",
			"Up to 100 products",
			"<link rel=\"stylesheet\" href=\"/static/css/site.css\">",
			"<h1>Plans and pricing</h1>" } },
		{ "/marketplace/plans.html?lang=fr", {
			"<html lang=\"fr\">",
			"<h2 class=\"plan-name\">Starter</h2>",
			"<h2 class=\"plan-name\">Business</h2>",
			"<h2 class=\"plan-name\">Enterprise</h2>",
			"<span class=\"amount\">29,00</span>",
			"Essai gratuit de 14 jours",
			"Up to 100 products",
			"<link rel=\"stylesheet\" href=\"/static/css/site.css\">",
			"<h1>Offres et tarifs</h1>" } },
	};
	for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		char *dom = chromium_dom(pages[p].path);
		assert_non_null(dom);
		for (size_t i = 0; i < 9; i++)
			if (strstr(dom, pages[p].want[i]) == NULL)
				fail_msg("missing %s in %s:\n%s", pages[p].want[i], pages[p].path,
				    dom);
		/* In sortOrder. */
		assert_true(strstr(dom, ">Starter<") < strstr(dom, ">Business<"));
		assert_true(strstr(dom, ">Business<") < strstr(dom, ">Enterprise<"));
		free(dom);
	}
}

static void
pricing_page_should_show_markup_in_names_as_text(void **state)
{
	(void)state;
	struct reply r = request("POST", "/api/subscription-plans", "{\"data\":{"
	    "\"name\":\"<script>alert(1)</script>\",\"slug\":\"xss\",\"priceCents\":100,"
	    "\"sortOrder\":9,\"description\":\"<img src=x onerror=alert(2)>\","
	    "\"features\":[\"</li><script>alert(3)</script>\"]}}");
	assert_int_equal(r.status, 201);
	reply_free(&r);
	char *dom = chromium_dom("/marketplace/plans.html");
	assert_non_null(dom);
	/* The browser built a text node: serialised back, it is escaped. */
	if (strstr(dom, "<h2 class=\"plan-name\">&lt;script&gt;alert(1)&lt;/script&gt;</h2>") == NULL)
		fail_msg("the name is not shown as text:\n%s", dom);
	assert_non_null(strstr(dom, "&lt;img src=x onerror=alert(2)&gt;"));
	assert_null(strstr(dom, "<script"));
	assert_null(strstr(dom, "<img"));
	free(dom);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pricing_page_should_show_the_plans),
		cmocka_unit_test(pricing_page_should_show_markup_in_names_as_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
