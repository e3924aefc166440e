/*
 * The dashboards' pages (admin.c): the platform's dashboard for staff and
 * the parts the merchant's dashboard shares with it (the tables, a
 * ticket's page).
 */
#ifndef ADMIN_H
#define ADMIN_H

#include "app.h"
#include "render.h"
#include "views.h"

enum admin_view {
	ADMIN_VIEW_MERCHANTS,
	ADMIN_VIEW_SUBSCRIPTIONS,
	ADMIN_VIEW_INVOICES,
	ADMIN_VIEW_TICKETS,
	ADMIN_VIEW_BACKENDS,
	ADMIN_VIEW_PLANS,
	ADMIN_VIEW__MAX
};

/* The dashboards' tables, by enum admin_view. */
extern const struct view admin_views[ADMIN_VIEW__MAX];

/* GET /marketplace/platform-admin.html?view=overview|merchants|
 * subscriptions|invoices|tickets|backends|plans|ticket|plan (&id=): admins
 * every view; agents the overview's support part and the tickets. */
enum err	 h_page_admin(struct ctx *c);
/* GET /marketplace/merchant-dashboard.html?view=overview|invoices|tickets|
 * ticket (&id=): a merchant's own; an admin names the merchant
 * (?merchant=). */
enum err	 h_page_merchant(struct ctx *c);
/* Renders ticket id (as the caller may see it: another merchant's is not
 * found) into a TICKET section of d, which shows ticket.tpl where
 * {{>PART_TICKET}} stands: its thread (a merchant's without the
 * internal notes), the moves its state allows, and for staff the agents
 * it may be given to. Returns ERR_OK, ERR_NOT_FOUND or ERR_DB. */
enum err	 admin_ticket(struct ctx *c, const char *id, struct render_dict *d);

#endif
