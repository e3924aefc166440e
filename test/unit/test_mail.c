/*
 * E-mail through a real SMTP conversation with a small SMTP server of this
 * test's own, on loopback: recipients, subject, body, UTF-8 accents,
 * retries, no duplicate when the sending is interrupted and run again, and
 * each message recorded sent before its conversation ends.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <mbedtls/base64.h>

#include "unit.h"
#include "mailer.h"
#include "outbox.h"

#define MAX_MAILS 32

static struct {
	int		 fd, port;
	char		 rcpt[MAX_MAILS][256];
	char		 data[MAX_MAILS][4096];
	int		 n;
	int		 refuse;	/* answer 451 to this many DATA commands */
	int		 unsent_at_quit; /* outbox rows not sent when QUIT came */
	pthread_t	 thread;
	volatile int	 stop;
} smtp;

static char dbpath[256];
static struct app *app;
static struct mailer mailer;

static int
readline(int c, char *out, size_t n)
{
	size_t k = 0;
	while (k < n - 1) {
		char ch;
		if (read(c, &ch, 1) != 1)
			return -1;
		out[k++] = ch;
		if (ch == '\n')
			break;
	}
	out[k] = '\0';
	return (int)k;
}

static void
say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		perror("write");
}

static void *
serve(void *arg)
{
	(void)arg;
	while (!smtp.stop) {
		int c = accept(smtp.fd, NULL, NULL);
		if (c < 0)
			continue;
		char line[1024], rcpt[256] = "";
		say(c, "220 test.local ESMTP\r\n");
		while (readline(c, line, sizeof(line)) > 0) {
			if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0)
				say(c, "250-test.local\r\n250 8BITMIME\r\n");
			else if (strncasecmp(line, "MAIL FROM:", 10) == 0)
				say(c, "250 OK\r\n");
			else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
				snprintf(rcpt, sizeof(rcpt), "%.*s", (int)strcspn(line + 8, "\r\n"),
				    line + 8);
				say(c, "250 OK\r\n");
			} else if (strncasecmp(line, "DATA", 4) == 0) {
				say(c, "354 go ahead\r\n");
				char data[4096] = "";
				size_t len = 0;
				while (readline(c, line, sizeof(line)) > 0 && strcmp(line, ".\r\n") != 0)
					len += (size_t)snprintf(data + len, sizeof(data) - len, "%s", line);
				if (smtp.refuse > 0) {
					smtp.refuse--;
					say(c, "451 try again later\r\n");
				} else {
					if (smtp.n < MAX_MAILS) {
						snprintf(smtp.rcpt[smtp.n], 256, "%s", rcpt);
						snprintf(smtp.data[smtp.n], 4096, "%s", data);
						smtp.n++;
					}
					say(c, "250 queued\r\n");
				}
			} else if (strncasecmp(line, "QUIT", 4) == 0) {
				/* What the sender had recorded when it said goodbye. */
				sqlite3 *db = NULL;
				sqlite3_stmt *st = NULL;
				smtp.unsent_at_quit = -1;
				if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) ==
				    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM "
				    "email_outbox WHERE status != 'sent'", -1, &st, NULL) ==
				    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
					smtp.unsent_at_quit = sqlite3_column_int(st, 0);
				sqlite3_finalize(st);
				sqlite3_close(db);
				say(c, "221 bye\r\n");
				break;
			} else
				say(c, "250 OK\r\n");
		}
		close(c);
	}
	return NULL;
}

static int
setup(void **state)
{
	(void)state;
	if ((smtp.fd = unit_listen(&smtp.port)) < 0)
		return -1;
	if (pthread_create(&smtp.thread, NULL, serve, NULL) != 0)
		return -1;
	char url[64];
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", smtp.port);
	setenv("SMTP_URL", url, 1);
	setenv("SMTP_FROM", "Marketplace <no-reply@marketplace.test>", 1);
	int rc = unit_app_open(dbpath, sizeof(dbpath), 1 << 16, &app);
	assert_int_equal(mailer_from_config(&mailer), 1);
	mailer.timeout_ms = 5000;
	return rc;
}

static int
teardown(void **state)
{
	(void)state;
	smtp.stop = 1;
	shutdown(smtp.fd, SHUT_RDWR);
	close(smtp.fd);
	pthread_join(smtp.thread, NULL);
	app_close(app);
	unit_rmdb(dbpath);
	unsetenv("SMTP_URL");
	unsetenv("SMTP_FROM");
	return 0;
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
queue(const char *to, const char *subject, const char *body)
{
	assert_int_equal(outbox_queue(app_db(app), "test", to, subject, body, 0, NULL,
	    clock_now_ms()), ERR_OK);
}

static void
mails_should_arrive_with_accents_intact(void **state)
{
	(void)state;
	queue("clara@example.com", "Facture F-2026-000001 : 34,80 €",
	    "Bonjour Clara,\n\nVotre facture est disponible. Merci, à bientôt !\n");
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 10), 1);
	assert_int_equal(smtp.n, 1);
	assert_string_equal(smtp.rcpt[0], "<clara@example.com>");
	const char *d = smtp.data[0];
	assert_non_null(strstr(d, "To: clara@example.com\r\n"));
	assert_non_null(strstr(d, "From: Marketplace <no-reply@marketplace.test>\r\n"));
	assert_non_null(strstr(d, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(d, "Bonjour Clara,\r\n\r\nVotre facture est disponible. "
	    "Merci, \xc3\xa0 bient\xc3\xb4t !\r\n"));
	/* The subject, as an encoded word, decodes to the UTF-8 text. */
	const char *s = strstr(d, "Subject: =?UTF-8?B?");
	assert_non_null(s);
	s += 19;
	unsigned char out[256];
	size_t olen = 0;
	assert_int_equal(mbedtls_base64_decode(out, sizeof(out) - 1, &olen,
	    (const unsigned char *)s, strcspn(s, "?")), 0);
	out[olen] = '\0';
	assert_string_equal((char *)out, "Facture F-2026-000001 : 34,80 \xe2\x82\xac");
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE status = 'sent' AND "
	    "sent_at IS NOT NULL"), 1);
}

static void
an_interrupted_run_should_send_nothing_twice(void **state)
{
	(void)state;
	int before = smtp.n;
	queue("a@example.com", "One", "1");
	queue("b@example.com", "Two", "2");
	queue("c@example.com", "Three", "3");
	/* The run stops after one message (as if killed)... */
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 1), 1);
	/* ...and the next run sends the two others only. */
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 100), 2);
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 100), 0);
	assert_int_equal(smtp.n - before, 3);
	int a = 0, b = 0, c = 0;
	for (int i = before; i < smtp.n; i++) {
		a += strcmp(smtp.rcpt[i], "<a@example.com>") == 0;
		b += strcmp(smtp.rcpt[i], "<b@example.com>") == 0;
		c += strcmp(smtp.rcpt[i], "<c@example.com>") == 0;
	}
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	assert_int_equal(c, 1);
}

static void
a_mail_should_be_recorded_sent_before_its_conversation_ends(void **state)
{
	(void)state;
	/* Nothing else waits (the other tests' queues are sent). */
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 100), 0);
	queue("d@example.com", "Four", "4");
	smtp.unsent_at_quit = -2;
	assert_int_equal(mailer_send_due(app_db(app), &mailer, clock_now_ms(), 100), 1);
	/* The QUIT came after the commit: a worker killed once the server
	 * took the message would resend it only within that one commit. */
	assert_int_equal(smtp.unsent_at_quit, 0);
}

static void
refused_mails_should_be_retried_with_backoff(void **state)
{
	(void)state;
	int before = smtp.n;
	queue("later@example.com", "Later", "x");
	smtp.refuse = 1;
	int64_t now = clock_now_ms();
	assert_int_equal(mailer_send_due(app_db(app), &mailer, now, 10), 0);
	assert_int_equal(q("SELECT attempts FROM email_outbox WHERE recipient = "
	    "'later@example.com' AND status = 'queued' AND last_error IS NOT NULL"), 1);
	/* Not before its minute is up. */
	assert_int_equal(mailer_send_due(app_db(app), &mailer, now + 1000, 10), 0);
	assert_int_equal(mailer_send_due(app_db(app), &mailer, now + 60000, 10), 1);
	assert_int_equal(smtp.n - before, 1);
	/* A server that never takes it: failed after eight attempts. */
	queue("never@example.com", "Never", "x");
	smtp.refuse = 100;
	int64_t t = now + 60000;
	for (int i = 0; i < MAILER_MAX_ATTEMPTS; i++) {
		mailer_send_due(app_db(app), &mailer, t, 10);
		t += (int64_t)60000 << i;
	}
	smtp.refuse = 0;
	assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE recipient = "
	    "'never@example.com' AND status = 'failed'"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mails_should_arrive_with_accents_intact),
		cmocka_unit_test(an_interrupted_run_should_send_nothing_twice),
		cmocka_unit_test(a_mail_should_be_recorded_sent_before_its_conversation_ends),
		cmocka_unit_test(refused_mails_should_be_retried_with_backoff),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
