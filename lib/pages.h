/*
 * Server-rendered pages (ctemplate, auto-escaped).
 */
#ifndef PAGES_H
#define PAGES_H

#include "app.h"

/* GET /marketplace/plans.html: the public pricing page. */
enum err	 h_page_plans(struct ctx *c);

#endif
