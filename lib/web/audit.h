/*
 * The audit log: what admins, agents and API tokens changed (who, what,
 * when, the record before and after), readable by admins.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"
#include "entity.h"

extern const struct entity audit_entity;

/* Returns 1 when the caller's changes are audited (staff and tokens). */
int		 audit_wanted(const struct ctx *c);
/* Records a change inside the caller's transaction: action is "create",
 * "update" or "delete"; before/after are the record's JSON (NULL when
 * absent). Returns ERR_OK or ERR_DB. */
enum err	 audit_record(struct ctx *c, const char *action,
		    const struct entity *e, int64_t id, const char *document_id,
		    const cJSON *before, const cJSON *after);

#endif
