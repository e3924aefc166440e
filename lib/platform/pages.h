/*
 * Server-rendered pages (ctemplate, auto-escaped).
 */
#ifndef PAGES_H
#define PAGES_H

#include "app.h"

/* GET /marketplace/plans.html: the public pricing page. */
enum err	 h_page_plans(struct ctx *c);
/* GET /marketplace/login.html: the sign-in form. */
enum err	 h_page_login(struct ctx *c);
/* POST /marketplace/login: signs in, opens a session, goes to the account. */
enum err	 h_form_login(struct ctx *c);
/* GET /marketplace/account.html: who is signed in, and sign-out. */
enum err	 h_page_account(struct ctx *c);
/* POST /marketplace/logout: ends the session, back to the sign-in page. */
enum err	 h_form_logout(struct ctx *c);
/* GET /marketplace/boutique-clara.html: to the demo merchant's storefront,
 * on its subdomain. */
enum err	 h_page_demo_shop(struct ctx *c);
/* GET /marketplace/signup.html: the sign-up form (plan ?plan=slug chosen). */
enum err	 h_page_signup(struct ctx *c);
/* POST /marketplace/signup: onboards (onboard()); each error beside its
 * field, or the owner signed in and on to the deployment's page. */
enum err	 h_form_signup(struct ctx *c);
/* GET /marketplace/backends/:id/deployment.html: the latest deployment of a
 * shop the caller may see, its steps, refreshed until it ends; the
 * shop's address once it runs. */
enum err	 h_page_deployment(struct ctx *c);

/* GET /marketplace/test-platform-api.html: the API tester (?route= picks
 * one). */
enum err	 h_page_tester(struct ctx *c);
/* POST /marketplace/test-platform-api: route ("GET /api/x/:id"), id,
 * query, body, use=session|token and token; sends it through the
 * dispatcher as the caller and shows the answer. */
enum err	 h_form_tester(struct ctx *c);

#endif
