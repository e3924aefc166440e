#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <mbedtls/base64.h>

#include "clock.h"
#include "config.h"
#include "mailer.h"
#include "mem.h"

int
mailer_from_config(struct mailer *m)
{
	const struct config *cfg = config();
	memset(m, 0, sizeof(*m));
	snprintf(m->url, sizeof(m->url), "%s", cfg->smtp_url);
	snprintf(m->user, sizeof(m->user), "%s", cfg->smtp_user);
	snprintf(m->password, sizeof(m->password), "%s", cfg->smtp_password);
	snprintf(m->from, sizeof(m->from), "%s", cfg->smtp_from);
	m->timeout_ms = 30000;
	return m->url[0] != '\0';
}

enum stmt_mail {
	STMT_MAIL_NEXT,
	STMT_MAIL_SENT,
	STMT_MAIL_FAILED,
	STMT_MAIL__MAX
};

static const char *const stmts[STMT_MAIL__MAX] = {
	[STMT_MAIL_NEXT] = "SELECT id, document_id, recipient, subject, body, attempts "
	    "FROM email_outbox WHERE status = 'queued' AND next_attempt_ms <= ? "
	    "ORDER BY id LIMIT 1",
	[STMT_MAIL_SENT] = "UPDATE email_outbox SET status = 'sent', sent_at = ?, "
	    "attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE id = ?",
	[STMT_MAIL_FAILED] = "UPDATE email_outbox SET status = ?, attempts = ?, "
	    "next_attempt_ms = ?, last_error = ?, updated_at = ? WHERE id = ?",
};

struct upload {
	const char	*data;
	size_t		 len, off;
};

static size_t
feed(char *p, size_t sz, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = u->len - u->off;
	if (k > sz * n)
		k = sz * n;
	memcpy(p, u->data + u->off, k);
	u->off += k;
	return k;
}

/* The address part of "Name <a@b>" or "a@b", for the envelope. */
static void
addr_of(const char *s, char *out, size_t n)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		snprintf(out, n, "<%.*s>", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, n, "<%s>", s);
}

/* Builds the message: UTF-8 subject as an encoded word, CRLF lines. */
static void
compose(const struct mailer *m, const char *docid, const char *to,
    const char *subject, const char *body, int64_t now, struct buf *out)
{
	unsigned char b64[1024];
	size_t olen = 0;
	char date[64];
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	mbedtls_base64_encode(b64, sizeof(b64), &olen, (const unsigned char *)subject,
	    strlen(subject));
	b64[olen] = '\0';
	buf_printf(out, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\n"
	    "Message-ID: <%s@marketplace>\r\nMIME-Version: 1.0\r\nContent-Type: "
	    "text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	    date, m->from, to, (char *)b64, docid);
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			buf_putc(out, '\r');
		buf_putc(out, *p);
	}
	buf_puts(out, "\r\n");
}

/* One SMTP conversation, left open: curl_easy_perform returns at the
 * server's answer to the message (its final 250), and the connection's
 * QUIT waits for send_end, so that the message is recorded sent first. */
struct sending {
	CURL		*c;
	struct curl_slist *rcpts;
};

static int
send_one(const struct mailer *m, const char *to, const struct buf *msg, char *err,
    size_t errsz, struct sending *s)
{
	char from[300], rcpt[300];
	struct upload u = { msg->data, msg->len, 0 };
	s->rcpts = NULL;
	if ((s->c = curl_easy_init()) == NULL)
		return -1;
	CURL *c = s->c;
	addr_of(m->from, from, sizeof(from));
	addr_of(to, rcpt, sizeof(rcpt));
	s->rcpts = curl_slist_append(s->rcpts, rcpt);
	curl_easy_setopt(c, CURLOPT_URL, m->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (m->user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, s->rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(err, errsz, "%s", curl_easy_strerror(rc));
	return rc == CURLE_OK ? 0 : -1;
}

/* Ends the conversation (QUIT) once the outcome is recorded. */
static void
send_end(struct sending *s)
{
	if (s->c)
		curl_easy_cleanup(s->c);
	curl_slist_free_all(s->rcpts);
}

int
mailer_send_due(struct db *db, const struct mailer *m, int64_t now, int max)
{
	int sent = 0;
	char ts[25];
	clock_format_ms(now, ts);
	for (int k = 0; k < max; k++) {
		char docid[32], to[256], err[256] = "";
		struct buf subject = { 0 }, body = { 0 }, msg = { 0 };
		sqlite3_stmt *st = db_bind(db, stmts[STMT_MAIL_NEXT], "i", now);
		if (st == NULL)
			return -1;
		enum db_rc r = db_step(db, st);
		if (r != DB_ROW) {
			db_done(st);
			return r == DB_DONE ? sent : -1;
		}
		int64_t id = sqlite3_column_int64(st, 0);
		int attempts = sqlite3_column_int(st, 5);
		snprintf(docid, sizeof(docid), "%s", db_col_text(st, 1));
		snprintf(to, sizeof(to), "%s", db_col_text(st, 2));
		buf_puts(&subject, db_col_text(st, 3));
		buf_puts(&body, db_col_text(st, 4));
		db_done(st);
		compose(m, docid, to, buf_str(&subject), buf_str(&body), now, &msg);
		struct sending sg;
		int ok = send_one(m, to, &msg, err, sizeof(err), &sg) == 0;
		/* Recorded the moment the server took it, in its own commit,
		 * before anything else (even the QUIT): a worker killed between
		 * the two sends it again, with the same Message-ID. */
		enum err e;
		if (ok)
			e = db_exec(db, stmts[STMT_MAIL_SENT], "ssi", ts, ts, id);
		else {
			attempts++;
			e = db_exec(db, stmts[STMT_MAIL_FAILED], "siissi",
			    attempts >= MAILER_MAX_ATTEMPTS ? "failed" : "queued",
			    (int64_t)attempts, now + ((int64_t)60000 << (attempts - 1)), err,
			    ts, id);
			fprintf(stderr, "mailer: %s: %s (attempt %d)\n", to, err, attempts);
		}
		send_end(&sg);
		buf_free(&subject);
		buf_free(&body);
		buf_free(&msg);
		if (e != ERR_OK)
			return -1;
		sent += ok;
		if (!ok)
			break;	/* the server is unwell: the rest waits for the next run */
	}
	return sent;
}
