/*
 * The e-mail outbox: messages are queued here in the transaction of what
 * caused them; the support issue's job sends them through SMTP.
 */
#ifndef OUTBOX_H
#define OUTBOX_H

#include <stdint.h>

#include "db.h"
#include "err.h"

#include "entity.h"

/* The outbox as a content type (GET /api/email-outbox, admins). */
extern const struct entity outbox_entity;

/* Queues a message inside the caller's transaction. merchant_id may be 0;
 * related names the record ("invoice:12"). Returns ERR_OK or ERR_DB. */
enum err	 outbox_queue(struct db *db, const char *kind, const char *to,
		    const char *subject, const char *body, int64_t merchant_id,
		    const char *related, int64_t now_ms);

#endif
