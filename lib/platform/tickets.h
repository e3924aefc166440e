/*
 * Support: tickets (reference TCK-000001, gapless), their SLA due time,
 * one state machine for status changes, assignment to agents, public
 * replies and internal notes (never shown to merchants), full-text search.
 */
#ifndef TICKETS_H
#define TICKETS_H

#include "app.h"
#include "entity.h"

extern const struct entity tickets_entity;
extern const struct entity responses_entity;

/* Writes a new open ticket of merchant (requester: a user id, or 0) made at
 * at, inside the caller's transaction: its reference (TCK-000001, the
 * next of the gapless series), its SLA due time, its search entry; *id is
 * its id. The values are the caller's to have checked. Returns ERR_OK or
 * ERR_DB. */
enum err	 tickets_insert(struct db *db, int64_t merchant, int64_t requester,
		    const char *subject, const char *description, const char *category,
		    const char *priority, int64_t at, int64_t *id);
/* GET /api/support-tickets: filters, and q= for a full-text search. */
enum err	 h_tickets_find(struct ctx *c);
/* POST /api/support-tickets: a merchant for itself, staff for any. */
enum err	 h_tickets_create(struct ctx *c);
/* PUT /api/support-tickets/:id: status (the state machine), priority,
 * category. */
enum err	 h_tickets_update(struct ctx *c);
/* DELETE /api/support-tickets/:id (its replies and search entry too). */
enum err	 h_tickets_delete(struct ctx *c);
/* PUT /api/support-tickets/:id/assign: {assignee} an agent, or null. */
enum err	 h_tickets_assign(struct ctx *c);
/* POST /api/support-tickets/:id/responses: a reply, or an internal note. */
enum err	 h_tickets_respond(struct ctx *c);
/* GET /api/ticket-responses(/:id): a merchant never sees internal notes. */
enum err	 h_responses_find(struct ctx *c);
enum err	 h_responses_find_one(struct ctx *c);

/* GET /api/support-tickets/stats?from=&to= (default: the last 30 days). */
enum err	 h_tickets_stats(struct ctx *c);
/* Parts of the statistics, each the caller's to delete: tickets not closed
 * by status; {answeredLate, openPastDue} of tickets created in [from, to)
 * at now; tickets created and resolved in [from, to) by week. */
cJSON		*tickets_backlog_by_status(struct db *db);
cJSON		*tickets_sla_breaches(struct db *db, const char *from, const char *to,
		    const char *now);
cJSON		*tickets_by_week(struct db *db, const char *from, const char *to);
/* The statistics over [from, to) (ISO times) at time now (caller deletes). */
cJSON		*tickets_stats(struct db *db, const char *from, const char *to,
		    const char *now);

/* Turns free text into an FTS5 query of support_tickets_fts: quoted
 * words, no operators (in a's memory). Words without a letter or digit are
 * left out; NULL when none is left. */
const char	*tickets_search_phrase(struct arena *a, const char *q);
/* Closes tickets resolved more than 7 days before now (the worker's
 * tickets.autoclose job). Returns how many, or -1. */
int		 tickets_autoclose(struct db *db, int64_t now);
#define TICKETS_AUTOCLOSE_DAYS 7

/* The moves the state machine allows from a status ("open, resolved"),
 * or "" for none. */
const char	*tickets_allowed_moves(const char *from);
/* Returns 1 when a ticket may move from one status to another. */
int		 tickets_may_move(const char *from, const char *to);

#endif
