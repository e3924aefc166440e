/* The configuration table (lib/core/config.c) and time zones
 * (lib/core/tz.c): what programs accept, refuse and print. */
#include "unit.h"
#include "config.h"
#include "tz.h"

#include <sys/wait.h>

/* Every variable of the table, cleared between tests. */
static const char *const names[] = { "PLATFORM_VAR", "PLATFORM_DB", "HTTPS_PORT",
    "HTTP_PORT", "PLATFORM_LISTEN", "PLATFORM_SERVER_NAME", "PLATFORM_WORKERS",
    "PLATFORM_MAX_BODY", "PLATFORM_DEMO", "PLATFORM_BENCH_BARE",
    "PLATFORM_JWT_SECRET_FILE", "PLATFORM_JWT_TTL", "PLATFORM_LOGIN_RATE",
    "PLATFORM_CORS_ORIGINS", "PLATFORM_SELLER_NAME", "PLATFORM_SELLER_ADDRESS", "PLATFORM_SELLER_SIREN",
    "PLATFORM_SELLER_VAT", "PLATFORM_VAT_RATE_BPS", "PLATFORM_FONT_DIR",
    "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
    "PLATFORM_SLA_HOURS", "PLATFORM_BUSINESS_HOURS", "PLATFORM_TIMEZONE",
    "PLATFORM_BACKUP_DIR", "PLATFORM_BACKUP_INTERVAL_S",
    "PLATFORM_BACKUP_KEEP", "PLATFORM_DB_DURABLE", "PLATFORM_ROUND_ROBIN", "SMTP_URL", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM",
    "PLATFORM_TEMPLATES", "PLATFORM_SHARE", "PLATFORM_BIN_DIR", "PLATFORM_NGINX_CONF",
    "PLATFORM_NGINX_PID", "PLATFORM_SHOPS_DIR",
    "PLATFORM_SHOPS_NGINX_DIR", "SHOPS_DOMAIN", "SHOP_WORKERS", "SHOP_START_TIMEOUT_MS",
    "PLATFORM_SOCKET_GROUP", "PLATFORM_SHOPS_SYSTEMD", "PLATFORM_SYSTEMCTL", "SHOP_NAME",
    "SHOP_SECRET_FILE", NULL };

static char prog_dir[512];

static int
clear(void **state)
{
	(void)state;
	for (int i = 0; names[i]; i++)
		unsetenv(names[i]);
	return 0;
}

/* What the table prints, as a string (caller frees). */
static char *
printed(void (*print)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	print(f);
	fclose(f);
	return text;
}

static void
config_should_match_the_readme_table(void **state)
{
	(void)state;
	FILE *f = fopen("README.md", "r");
	assert_non_null(f);
	char line[2048];
	struct buf readme = { 0 };
	int in = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "| variable | default | meaning |\n") == 0)
			in = 1;
		else if (in && line[0] != '|')
			break;
		if (in)
			buf_puts(&readme, line);
	}
	fclose(f);
	char *code = printed(config_print_markdown);
	assert_string_equal(buf_str(&readme), code);
	free(code);
	buf_free(&readme);
}

static void
config_should_take_defaults_and_expand_the_runtime_directory(void **state)
{
	char why[300];
	(void)state;
	setenv("PLATFORM_VAR", "/srv/mp", 1);
	assert_int_equal(config_load(why, sizeof(why)), 0);
	const struct config *c = config();
	assert_string_equal(c->db_path, "/srv/mp/platform.db");
	assert_string_equal(c->jwt_secret_file, "/srv/mp/secrets/jwt.key");
	assert_int_equal(c->jwt.len, 0);
	assert_int_equal(c->max_body, 1048576);
	assert_int_equal(c->https_port, 8443);
	assert_int_equal(c->sla_hours[0], 24);
	assert_int_equal(c->sla_hours[3], 1);
	assert_int_equal(c->business.set, 0);
	assert_non_null(c->tz);
	assert_string_equal(c->smtp_url, "");
	assert_true(c->workers >= 1);
}

/* One bad value each: refused, naming the variable and its rule; the
 * configuration in force stays. */
static void
config_should_refuse_bad_values_naming_the_variable(void **state)
{
	static const struct { const char *name, *value, *why; } bad[] = {
		{ "HTTPS_PORT", "0", "HTTPS_PORT must be an integer from 1 to 65535" },
		{ "PLATFORM_MAX_BODY", "1e6", "PLATFORM_MAX_BODY must be an integer from "
		    "1024 to 67108864" },
		{ "PLATFORM_LISTEN", "127.0.0", "PLATFORM_LISTEN must be an IPv4 address" },
		{ "PLATFORM_LISTEN", "127.0.0.256", "PLATFORM_LISTEN must be an IPv4 address" },
		{ "PLATFORM_SERVER_NAME", "evil.com;include", "PLATFORM_SERVER_NAME must be "
		    "a host name (a-z 0-9 . -)" },
		{ "PLATFORM_DB", "/tmp/a b.db", "PLATFORM_DB must be a path of A-Z a-z 0-9 _ "
		    ". / - (at most 511 bytes)" },
		{ "PLATFORM_DEMO", "yes", "PLATFORM_DEMO must be 0 or 1" },
		{ "PLATFORM_TIMEZONE", "../../etc/passwd", "PLATFORM_TIMEZONE must be a zone "
		    "of the tz database, like Europe/Paris" },
		{ "PLATFORM_TIMEZONE", "Mars/Olympus", "PLATFORM_TIMEZONE must be a zone of "
		    "the tz database, like Europe/Paris" },
		{ "PLATFORM_BUSINESS_HOURS", "mon-fri 09:00-18:00 and more",
		    "PLATFORM_BUSINESS_HOURS must be days and hours, like mon-fri "
		    "09:00-18:00" },
		{ "STRIPE_API_BASE", "ftp://stripe.test", "STRIPE_API_BASE must be a URL "
		    "(https,http)" },
		{ "SMTP_URL", "http://mail.test", "SMTP_URL must be a URL (smtp,smtps)" },
		{ "PLATFORM_SELLER_NAME", "Line\nbreak", "PLATFORM_SELLER_NAME must be text "
		    "on one line (at most 255 bytes)" },
		{ "PLATFORM_JWT_SECRET_FILE", "/tmp/config-test-key", "PLATFORM_JWT_SECRET_FILE"
		    " must be a path of A-Z a-z 0-9 _ . / - (at most 511 bytes) to a file "
		    "holding 32 to 64 bytes in hex" },
	};
	char why[300];
	(void)state;
	FILE *k = fopen("/tmp/config-test-key", "w");
	assert_non_null(k);
	fputs("not hex at all\n", k);
	fclose(k);
	setenv("HTTPS_PORT", "9443", 1);
	assert_int_equal(config_load(why, sizeof(why)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].name, bad[i].value, 1);
		why[0] = '\0';
		assert_int_equal(config_load(why, sizeof(why)), -1);
		assert_string_equal(why, bad[i].why);
		assert_int_equal(config()->https_port, 9443);
		unsetenv(bad[i].name);
		if (strcmp(bad[i].name, "HTTPS_PORT") == 0)
			setenv("HTTPS_PORT", "9443", 1);
	}
	unlink("/tmp/config-test-key");
}

static void
config_should_read_the_jwt_key_file(void **state)
{
	char why[300];
	(void)state;
	FILE *k = fopen("/tmp/config-test-key", "w");
	assert_non_null(k);
	fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", k);
	fclose(k);
	setenv("PLATFORM_JWT_SECRET_FILE", "/tmp/config-test-key", 1);
	assert_int_equal(config_load(why, sizeof(why)), 0);
	unlink("/tmp/config-test-key");
	assert_int_equal(config()->jwt.len, 32);
	assert_int_equal(config()->jwt.bytes[0], 0x00);
	assert_int_equal(config()->jwt.bytes[31], 0x1f);
}

static void
config_should_print_secrets_masked(void **state)
{
	char why[300];
	(void)state;
	setenv("SMTP_PASSWORD", "hunter2-smtp", 1);
	setenv("STRIPE_SECRET_KEY", "sk_live_dont_print", 1);
	setenv("SMTP_USER", "mailer", 1);
	assert_int_equal(config_load(why, sizeof(why)), 0);
	char *all = printed(config_print);
	assert_non_null(strstr(all, "\nSMTP_PASSWORD=********\n"));
	assert_non_null(strstr(all, "\nSTRIPE_SECRET_KEY=********\n"));
	assert_non_null(strstr(all, "\nSTRIPE_WEBHOOK_SECRET=\n"));
	assert_non_null(strstr(all, "\nSMTP_USER=mailer\n"));
	assert_null(strstr(all, "hunter2"));
	assert_null(strstr(all, "sk_live"));
	free(all);
	/* The shell's part: only what deploy/stack.sh needs, nothing else. */
	char *sh = printed(config_print_shell);
	assert_non_null(strstr(sh, "HTTPS_PORT=8443\n"));
	assert_null(strstr(sh, "SMTP"));
	assert_null(strstr(sh, "SELLER"));
	free(sh);
}

/* Runs platformctl with one more variable; returns its exit status and
 * what it printed on stderr. */
static int
platformctl(const char *assign, const char *args, char *err, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "env %s %s/../bin/platformctl %s 2>&1 >/dev/null",
	    assign, prog_dir, args);
	return unit_run(cmd, err, n);
}

static void
programs_should_refuse_to_start_on_a_bad_value(void **state)
{
	char err[512];
	(void)state;
	assert_int_equal(platformctl("PLATFORM_WORKERS=many", "version", err, sizeof(err)), 1);
	assert_string_equal(err, "platformctl: configuration: PLATFORM_WORKERS must be an "
	    "integer from 1 to 256\n");
	assert_int_equal(platformctl("PLATFORM_VAR=/tmp/config-test-var", "config",
	    err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void
tz_should_give_offsets_across_summer_time(void **state)
{
	(void)state;
	const struct tz *paris = tz_load("Europe/Paris");
	assert_non_null(paris);
	int64_t t;
	/* 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC. */
	clock_parse_ms("2026-03-29T00:59:59Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 3600);
	clock_parse_ms("2026-03-29T01:00:00Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 7200);
	clock_parse_ms("2026-10-25T00:59:59Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 7200);
	clock_parse_ms("2026-10-25T01:00:00Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 3600);
	/* Past the file's transitions, its rule: 2100 switches on 28 March. */
	clock_parse_ms("2100-03-28T00:59:59Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 3600);
	clock_parse_ms("2100-03-28T01:00:00Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 7200);
	clock_parse_ms("2100-10-31T01:00:00Z", &t);
	assert_int_equal(tz_offset(paris, t / 1000), 3600);
	/* Another hemisphere, and a zone without summer time. */
	const struct tz *syd = tz_load("Australia/Sydney");
	assert_non_null(syd);
	clock_parse_ms("2026-01-15T00:00:00Z", &t);
	assert_int_equal(tz_offset(syd, t / 1000), 11 * 3600);
	clock_parse_ms("2026-07-15T00:00:00Z", &t);
	assert_int_equal(tz_offset(syd, t / 1000), 10 * 3600);
	const struct tz *utc0 = tz_load("UTC");
	assert_non_null(utc0);
	assert_int_equal(tz_offset(utc0, t / 1000), 0);
	/* Loaded once: the same zone comes back. */
	assert_ptr_equal(tz_load("Europe/Paris"), paris);
}

static void
tz_should_place_local_times_skipped_and_repeated(void **state)
{
	(void)state;
	const struct tz *paris = tz_load("Europe/Paris");
	int64_t local, want;
	char out[25];
	/* 10:00 on an ordinary winter day is 09:00 UTC. */
	clock_parse_ms("2026-11-27T10:00:00Z", &local);
	clock_format_ms(tz_local_to_utc(paris, local / 1000) * 1000, out);
	assert_string_equal(out, "2026-11-27T09:00:00.000Z");
	/* 02:30 on 29 March 2026 never happens: taken as 03:30 summer time. */
	clock_parse_ms("2026-03-29T02:30:00Z", &local);
	clock_parse_ms("2026-03-29T01:30:00Z", &want);
	assert_int_equal(tz_local_to_utc(paris, local / 1000), want / 1000);
	/* 02:30 on 25 October 2026 happens twice: the first one, in summer. */
	clock_parse_ms("2026-10-25T02:30:00Z", &local);
	clock_parse_ms("2026-10-25T00:30:00Z", &want);
	assert_int_equal(tz_local_to_utc(paris, local / 1000), want / 1000);
	/* No process-wide zone was touched. */
	assert_null(getenv("TZ"));
}

static void
tz_should_refuse_unknown_and_malformed_names(void **state)
{
	(void)state;
	assert_null(tz_load("Mars/Olympus"));
	assert_null(tz_load("../../etc/passwd"));
	assert_null(tz_load("/etc/localtime"));
	assert_null(tz_load("Europe//Paris"));
	assert_null(tz_load(""));
	assert_null(tz_load("Europe/Paris\n"));
}

int
main(int argc, char *argv[])
{
	(void)argc;
	snprintf(prog_dir, sizeof(prog_dir), "%s", argv[0]);
	char *slash = strrchr(prog_dir, '/');
	if (slash)
		*slash = '\0';
	unsetenv("TZ");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(config_should_match_the_readme_table, clear),
		cmocka_unit_test_setup(config_should_take_defaults_and_expand_the_runtime_directory,
		    clear),
		cmocka_unit_test_setup(config_should_refuse_bad_values_naming_the_variable, clear),
		cmocka_unit_test_setup(config_should_read_the_jwt_key_file, clear),
		cmocka_unit_test_setup(config_should_print_secrets_masked, clear),
		cmocka_unit_test_setup(programs_should_refuse_to_start_on_a_bad_value, clear),
		cmocka_unit_test(tz_should_give_offsets_across_summer_time),
		cmocka_unit_test(tz_should_place_local_times_skipped_and_repeated),
		cmocka_unit_test(tz_should_refuse_unknown_and_malformed_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
