/*
 * Sends the e-mail outbox through SMTP with libcurl when SMTP_URL is set
 * (smtp://host:port, STARTTLS when the server offers it; smtps:// for TLS
 * from the start; SMTP_USER and SMTP_PASSWORD when the server wants them;
 * SMTP_FROM). Each message is marked sent in its own transaction as soon
 * as the server accepted it, so an interrupted run sends the rest later
 * and nothing twice (a crash in the instant between the server's "250"
 * and that commit would send one again: its Message-ID lets a receiver
 * drop the copy). Failures are retried after 1, 2, 4 ... minutes, eight
 * times, then the message is marked failed.
 */
#ifndef MAILER_H
#define MAILER_H

#include <stdint.h>

#include "db.h"

#define MAILER_MAX_ATTEMPTS 8

struct mailer {
	char	 url[256], user[128], password[128], from[256];
	long	 timeout_ms;
};

/* Takes SMTP_* from the configuration; returns 1 when SMTP_URL is set. */
int	 mailer_from_config(struct mailer *m);
/* Sends up to max queued messages due at now. Returns how many were
 * sent, or -1 on a database error. */
int	 mailer_send_due(struct db *db, const struct mailer *m, int64_t now, int max);

#endif
