/*
 * The route table: the single source of truth for paths, methods, who may
 * call each route and its handler. Tests and the API tester page read it.
 * Order matters only between a literal segment and a :id at the same place:
 * the literal comes first.
 *
 * Who may do what (SPEC §4): admins everything; agents read merchants and
 * handle tickets; a merchant only its own records, which the core scopes
 * (another merchant's record answers 404), and while its merchant is
 * suspended or closed only the routes flagged ROUTE_SUSPENDED_OK or
 * ROUTE_CLOSED_OK besides reads. API tokens act as an admin (read-only
 * ones for GET only) but never manage users or tokens.
 */
#include "act.h"
#include "admin.h"
#include "app.h"
#include "audit.h"
#include "auth.h"
#include "backends.h"
#include "checkout.h"
#include "crud.h"
#include "dashboard.h"
#include "merchants.h"
#include "onboard.h"
#include "outbox.h"
#include "pages.h"
#include "pdf.h"
#include "platform.h"
#include "invoices.h"
#include "plans.h"
#include "subscriptions.h"
#include "scrape.h"
#include "tickets.h"
#include "tokens.h"
#include "users.h"
#include "webhooks.h"

#define ADMIN		ROLE_ADMIN
#define STAFF		(ROLE_ADMIN | ROLE_AGENT)
#define OWNERS		(ROLE_ADMIN | ROLE_MERCHANT)
#define READERS		(ROLE_ADMIN | ROLE_AGENT | ROLE_MERCHANT)

enum route_id {
	R_HEALTH,
	R_METRICS,
	R_AUTH_LOCAL,
	R_AUTH_LOGOUT,
	R_USERS_ME,
	R_USERS_FIND,
	R_USERS_FIND_ONE,
	R_USERS_CREATE,
	R_USERS_UPDATE,
	R_USERS_DELETE,
	R_USERS_UNLOCK,
	R_PLANS_ACTIVE,
	R_PLANS_FIND,
	R_PLANS_FIND_ONE,
	R_PLANS_CREATE,
	R_PLANS_UPDATE,
	R_PLANS_DELETE,
	R_MERCHANTS_FIND,
	R_MERCHANTS_FIND_ONE,
	R_MERCHANTS_CREATE,
	R_MERCHANTS_UPDATE,
	R_MERCHANTS_DELETE,
	R_MERCHANTS_PORTAL,
	R_SUBS_FIND,
	R_SUBS_STATS,
	R_SUBS_FIND_ONE,
	R_SUBS_CREATE,
	R_SUBS_UPDATE,
	R_SUBS_DELETE,
	R_SUBS_CANCEL,
	R_SUBS_REACTIVATE,
	R_SUBS_CHECKOUT,
	R_INVOICES_FIND,
	R_INVOICES_FIND_ONE,
	R_INVOICES_PDF,
	R_STRIPE_WEBHOOK,
	R_TICKETS_FIND,
	R_TICKETS_STATS,
	R_TICKETS_FIND_ONE,
	R_TICKETS_CREATE,
	R_TICKETS_UPDATE,
	R_TICKETS_DELETE,
	R_TICKETS_ASSIGN,
	R_TICKETS_RESPOND,
	R_RESPONSES_FIND,
	R_RESPONSES_FIND_ONE,
	R_OUTBOX_FIND,
	R_OUTBOX_FIND_ONE,
	R_TOKENS_FIND,
	R_TOKENS_FIND_ONE,
	R_TOKENS_CREATE,
	R_TOKENS_DELETE,
	R_AUDIT_FIND,
	R_AUDIT_FIND_ONE,
	R_BACKENDS_FIND,
	R_BACKENDS_FIND_ONE,
	R_BACKENDS_CREATE,
	R_BACKENDS_STATUS,
	R_BACKENDS_RESTART,
	R_BACKENDS_STOP,
	R_BACKENDS_START,
	R_BACKENDS_REDEPLOY,
	R_BACKENDS_DELETE,
	R_ONBOARD,
	R_DASHBOARD,
	R_DASHBOARD_MERCHANT,
	R_PAGE_PLANS,
	R_PAGE_LOGIN,
	R_FORM_LOGIN,
	R_PAGE_ACCOUNT,
	R_FORM_LOGOUT,
	R_PAGE_DEMO_SHOP,
	R_PAGE_SIGNUP,
	R_FORM_SIGNUP,
	R_PAGE_DEPLOYMENT,
	R_PAGE_ADMIN,
	R_PAGE_MERCHANT,
	R_PAGE_CHECKOUT_RETURN,
	R_PAGE_TESTER,
	R_FORM_TESTER,
	R_FORM_ACT,
	R__MAX
};

const struct route platform_routes[R__MAX] = {
	[R_HEALTH] = { METHOD_GET, "/health", ROLES_ALL, 0, h_health, NULL,
	    "Liveness and database check" },
	[R_METRICS] = { METHOD_GET, "/metrics", ADMIN, ROUTE_LOOPBACK, h_metrics, NULL,
	    "Prometheus metrics: requests by route, workers, jobs, e-mails, webhooks, "
	    "SQLite, shops (from this machine's loopback, or an admin)" },

	[R_AUTH_LOCAL] = { METHOD_POST, "/api/auth/local", ROLES_ALL,
	    ROUTE_BODY | ROUTE_NO_IDEM | ROUTE_CLOSED_OK, h_auth_local, NULL,
	    "Sign in: {identifier, password} gives {jwt, user}" },
	[R_AUTH_LOGOUT] = { METHOD_POST, "/api/auth/logout", ROLES_SIGNED_IN,
	    ROUTE_NO_IDEM | ROUTE_CLOSED_OK, h_auth_logout, NULL,
	    "End the browser session" },
	[R_USERS_ME] = { METHOD_GET, "/api/users/me", ROLES_SIGNED_IN, 0,
	    h_users_me, NULL, "The signed-in user" },
	[R_USERS_FIND] = { METHOD_GET, "/api/users", ADMIN, ROUTE_USERS_ONLY,
	    h_crud_find, &users_entity, "List users" },
	[R_USERS_FIND_ONE] = { METHOD_GET, "/api/users/:id", ADMIN,
	    ROUTE_USERS_ONLY, h_crud_find_one, &users_entity, "One user" },
	[R_USERS_CREATE] = { METHOD_POST, "/api/users", ADMIN,
	    ROUTE_BODY | ROUTE_USERS_ONLY, h_crud_create, &users_entity,
	    "Create a user (admin, agent, or merchant user)" },
	[R_USERS_UPDATE] = { METHOD_PUT, "/api/users/:id", ADMIN,
	    ROUTE_BODY | ROUTE_USERS_ONLY, h_crud_update, &users_entity,
	    "Update a user (block, role, password)" },
	[R_USERS_DELETE] = { METHOD_DELETE, "/api/users/:id", ADMIN,
	    ROUTE_USERS_ONLY, h_crud_delete, &users_entity, "Delete a user" },
	[R_USERS_UNLOCK] = { METHOD_PUT, "/api/users/:id/unlock", ADMIN,
	    ROUTE_USERS_ONLY, h_users_unlock, &users_entity,
	    "End the wait after failed sign-ins" },

	[R_PLANS_ACTIVE] = { METHOD_GET, "/api/subscription-plans/active",
	    ROLES_ALL, ROUTE_CACHE, h_plans_active, &plans_entity,
	    "Active plans in sortOrder" },
	[R_PLANS_FIND] = { METHOD_GET, "/api/subscription-plans", ROLES_ALL,
	    ROUTE_CACHE, h_crud_find, &plans_entity, "List plans" },
	[R_PLANS_FIND_ONE] = { METHOD_GET, "/api/subscription-plans/:id",
	    ROLES_ALL, ROUTE_CACHE, h_crud_find_one, &plans_entity, "One plan" },
	[R_PLANS_CREATE] = { METHOD_POST, "/api/subscription-plans", ADMIN,
	    ROUTE_BODY, h_plans_create, &plans_entity,
	    "Create a plan (and its Stripe product and price when Stripe is on)" },
	[R_PLANS_UPDATE] = { METHOD_PUT, "/api/subscription-plans/:id", ADMIN,
	    ROUTE_BODY, h_plans_update, &plans_entity,
	    "Update a plan (with Stripe on: a new price moves its subscriptions)" },
	[R_PLANS_DELETE] = { METHOD_DELETE, "/api/subscription-plans/:id", ADMIN,
	    0, h_plans_delete, &plans_entity, "Delete a plan" },

	[R_MERCHANTS_FIND] = { METHOD_GET, "/api/merchants", READERS, 0,
	    h_crud_find, &merchants_entity, "List merchants (a merchant: itself)" },
	[R_MERCHANTS_FIND_ONE] = { METHOD_GET, "/api/merchants/:id", READERS, 0,
	    h_crud_find_one, &merchants_entity, "One merchant" },
	[R_MERCHANTS_CREATE] = { METHOD_POST, "/api/merchants", ADMIN, ROUTE_BODY,
	    h_crud_create, &merchants_entity, "Create a merchant" },
	[R_MERCHANTS_UPDATE] = { METHOD_PUT, "/api/merchants/:id", OWNERS,
	    ROUTE_BODY, h_crud_update, &merchants_entity,
	    "Update a merchant (a merchant: itself, not status or Stripe ids)" },
	[R_MERCHANTS_DELETE] = { METHOD_DELETE, "/api/merchants/:id", ADMIN, 0,
	    h_crud_delete, &merchants_entity, "Delete a merchant" },
	[R_MERCHANTS_PORTAL] = { METHOD_POST, "/api/merchants/:id/billing-portal", OWNERS,
	    ROUTE_SUSPENDED_OK, h_merchants_billing_portal, &merchants_entity,
	    "A Stripe customer portal session: change the card, Stripe's receipts" },

	[R_SUBS_FIND] = { METHOD_GET, "/api/subscriptions", OWNERS, 0, h_crud_find,
	    &subscriptions_entity, "List subscriptions (a merchant: its own)" },
	[R_SUBS_STATS] = { METHOD_GET, "/api/subscriptions/stats", ADMIN, 0,
	    h_subscriptions_stats, NULL,
	    "Counts by status and plan, MRR, ARR, ARPU, trial conversion, churn, "
	    "revenue by month" },
	[R_SUBS_FIND_ONE] = { METHOD_GET, "/api/subscriptions/:id", OWNERS, 0,
	    h_crud_find_one, &subscriptions_entity, "One subscription" },
	[R_SUBS_CREATE] = { METHOD_POST, "/api/subscriptions", OWNERS, ROUTE_BODY,
	    h_subscriptions_create, &subscriptions_entity,
	    "Subscribe a merchant to a plan (trial when the plan has one)" },
	[R_SUBS_UPDATE] = { METHOD_PUT, "/api/subscriptions/:id", OWNERS,
	    ROUTE_BODY, h_subscriptions_update, &subscriptions_entity,
	    "Change the plan, prorated to the day" },
	[R_SUBS_DELETE] = { METHOD_DELETE, "/api/subscriptions/:id", ADMIN, 0,
	    h_crud_delete, &subscriptions_entity,
	    "Delete a subscription that has no invoices" },
	[R_SUBS_CANCEL] = { METHOD_PUT, "/api/subscriptions/:id/cancel", OWNERS,
	    ROUTE_BODY_OPT | ROUTE_SUSPENDED_OK, h_subscriptions_cancel,
	    &subscriptions_entity,
	    "Cancel at period end, or {\"data\":{\"immediately\":true}}, with a reason" },
	[R_SUBS_REACTIVATE] = { METHOD_PUT, "/api/subscriptions/:id/reactivate",
	    OWNERS, 0, h_subscriptions_reactivate, &subscriptions_entity,
	    "Undo a cancellation at period end" },
	[R_SUBS_CHECKOUT] = { METHOD_POST, "/api/subscriptions/checkout", OWNERS,
	    ROUTE_BODY, h_subscriptions_checkout, &subscriptions_entity,
	    "Start a subscription through Stripe Checkout: the URL of Stripe's page" },
	[R_INVOICES_FIND] = { METHOD_GET, "/api/invoices", OWNERS, 0, h_crud_find,
	    &invoices_entity, "List invoices (a merchant: its own)" },
	[R_INVOICES_FIND_ONE] = { METHOD_GET, "/api/invoices/:id", OWNERS, 0,
	    h_crud_find_one, &invoices_entity, "One invoice" },
	[R_INVOICES_PDF] = { METHOD_GET, "/api/invoices/:id/pdf", OWNERS, 0,
	    h_invoices_pdf, &invoices_entity, "The invoice as a PDF" },
	[R_STRIPE_WEBHOOK] = { METHOD_POST, "/api/stripe/webhook", ROLES_ALL,
	    ROUTE_BODY | ROUTE_NO_IDEM, h_stripe_webhook, NULL,
	    "Stripe's signed events (the signature is the credential)" },
	[R_TICKETS_FIND] = { METHOD_GET, "/api/support-tickets", READERS, 0,
	    h_tickets_find, &tickets_entity,
	    "List tickets (a merchant: its own); q= searches subject and description" },
	[R_TICKETS_STATS] = { METHOD_GET, "/api/support-tickets/stats", STAFF, 0,
	    h_tickets_stats, NULL, "Backlog, response and resolution times, SLA "
	    "breaches, per-agent load, tickets per week (from=, to=)" },
	[R_TICKETS_FIND_ONE] = { METHOD_GET, "/api/support-tickets/:id", READERS, 0,
	    h_crud_find_one, &tickets_entity, "One ticket" },
	[R_TICKETS_CREATE] = { METHOD_POST, "/api/support-tickets", READERS,
	    ROUTE_BODY | ROUTE_SUSPENDED_OK | ROUTE_GROUP, h_tickets_create, &tickets_entity,
	    "Open a ticket (a merchant for itself; staff for any merchant)" },
	[R_TICKETS_UPDATE] = { METHOD_PUT, "/api/support-tickets/:id", STAFF,
	    ROUTE_BODY | ROUTE_GROUP, h_tickets_update, &tickets_entity,
	    "Change status (the state machine), priority or category" },
	[R_TICKETS_DELETE] = { METHOD_DELETE, "/api/support-tickets/:id", ADMIN,
	    ROUTE_GROUP, h_tickets_delete, &tickets_entity, "Delete a ticket" },
	[R_TICKETS_ASSIGN] = { METHOD_PUT, "/api/support-tickets/:id/assign", STAFF,
	    ROUTE_BODY | ROUTE_GROUP, h_tickets_assign, &tickets_entity, "Assign to an agent" },
	[R_TICKETS_RESPOND] = { METHOD_POST, "/api/support-tickets/:id/responses",
	    READERS, ROUTE_BODY | ROUTE_SUSPENDED_OK | ROUTE_GROUP, h_tickets_respond,
	    &responses_entity,
	    "Reply, or (agents) add an internal note, with time spent" },
	[R_RESPONSES_FIND] = { METHOD_GET, "/api/ticket-responses", READERS, 0,
	    h_responses_find, &responses_entity,
	    "List replies (a merchant: its own, never internal notes)" },
	[R_RESPONSES_FIND_ONE] = { METHOD_GET, "/api/ticket-responses/:id", READERS,
	    0, h_responses_find_one, &responses_entity, "One reply" },
	[R_OUTBOX_FIND] = { METHOD_GET, "/api/email-outbox", ADMIN, 0, h_crud_find,
	    &outbox_entity, "The e-mails queued and sent" },
	[R_OUTBOX_FIND_ONE] = { METHOD_GET, "/api/email-outbox/:id", ADMIN, 0,
	    h_crud_find_one, &outbox_entity, "One e-mail" },
	[R_TOKENS_FIND] = { METHOD_GET, "/api/api-tokens", ADMIN, ROUTE_USERS_ONLY,
	    h_crud_find, &tokens_entity, "List API tokens (never their secret)" },
	[R_TOKENS_FIND_ONE] = { METHOD_GET, "/api/api-tokens/:id", ADMIN,
	    ROUTE_USERS_ONLY, h_crud_find_one, &tokens_entity, "One API token" },
	[R_TOKENS_CREATE] = { METHOD_POST, "/api/api-tokens", ADMIN,
	    ROUTE_BODY | ROUTE_NO_IDEM | ROUTE_USERS_ONLY, h_tokens_create,
	    &tokens_entity, "Create an API token: its secret is shown once" },
	[R_TOKENS_DELETE] = { METHOD_DELETE, "/api/api-tokens/:id", ADMIN,
	    ROUTE_USERS_ONLY, h_crud_delete, &tokens_entity, "Revoke an API token" },

	[R_AUDIT_FIND] = { METHOD_GET, "/api/audit-logs", ADMIN, 0, h_crud_find,
	    &audit_entity, "What admins, agents and tokens changed" },
	[R_AUDIT_FIND_ONE] = { METHOD_GET, "/api/audit-logs/:id", ADMIN, 0,
	    h_crud_find_one, &audit_entity, "One audit entry" },

	[R_BACKENDS_FIND] = { METHOD_GET, "/api/merchant-backends", READERS, 0,
	    h_crud_find, &backends_entity, "Merchant backends (a merchant: its own)" },
	[R_BACKENDS_FIND_ONE] = { METHOD_GET, "/api/merchant-backends/:id", READERS, 0,
	    h_crud_find_one, &backends_entity, "One merchant backend" },
	[R_BACKENDS_CREATE] = { METHOD_POST, "/api/merchant-backends",
	    ADMIN | ROLE_MERCHANT, ROUTE_BODY | ROUTE_NO_IDEM, h_backends_create,
	    &backends_entity, "Create a shop on a subdomain and queue its deployment "
	    "(its key is shown once)" },
	[R_BACKENDS_STATUS] = { METHOD_GET, "/api/merchant-backends/:id/deployment-status",
	    READERS, 0, h_backends_status, &backends_entity,
	    "The latest deployment's steps and log, and the earlier ones" },
	[R_BACKENDS_RESTART] = { METHOD_POST, "/api/merchant-backends/:id/restart",
	    ADMIN | ROLE_MERCHANT, 0, h_backends_restart, &backends_entity,
	    "Restart gracefully (no request refused)" },
	[R_BACKENDS_STOP] = { METHOD_POST, "/api/merchant-backends/:id/stop",
	    ADMIN | ROLE_MERCHANT, 0, h_backends_stop, &backends_entity, "Stop" },
	[R_BACKENDS_START] = { METHOD_POST, "/api/merchant-backends/:id/start",
	    ADMIN | ROLE_MERCHANT, 0, h_backends_start, &backends_entity, "Start" },
	[R_BACKENDS_REDEPLOY] = { METHOD_POST, "/api/merchant-backends/:id/redeploy",
	    ADMIN | ROLE_MERCHANT, 0, h_backends_redeploy, &backends_entity,
	    "Deploy again" },
	[R_BACKENDS_DELETE] = { METHOD_DELETE, "/api/merchant-backends/:id", ADMIN, 0,
	    h_backends_undeploy, &backends_entity,
	    "Undeploy (its data stays; its subdomain is never given again)" },
	[R_DASHBOARD] = { METHOD_GET, "/api/platform/dashboard", STAFF, 0,
	    h_dashboard_platform, NULL, "The platform's figures (agents: the support "
	    "part)" },
	[R_DASHBOARD_MERCHANT] = { METHOD_GET, "/api/platform/merchant/:id/dashboard",
	    OWNERS, 0, h_dashboard_merchant, &merchants_entity,
	    "A merchant's figures: subscription, invoices, tickets, shops and its "
	    "shop's statistics" },
	[R_ONBOARD] = { METHOD_POST, "/api/platform/onboard-merchant",
	    ROLE_ANON | ADMIN, ROUTE_BODY, h_onboard, NULL,
	    "Sign up a merchant: owner, merchant, subscription and shop in one go, "
	    "then its deployment" },

	[R_PAGE_PLANS] = { METHOD_GET, "/marketplace/plans.html", ROLES_ALL,
	    ROUTE_CACHE | ROUTE_PAGE, h_page_plans, NULL, "Pricing page" },
	[R_PAGE_LOGIN] = { METHOD_GET, "/marketplace/login.html", ROLES_ALL,
	    ROUTE_PAGE, h_page_login, NULL, "Sign-in page" },
	[R_FORM_LOGIN] = { METHOD_POST, "/marketplace/login", ROLES_ALL,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_IDEM | ROUTE_CLOSED_OK, h_form_login,
	    NULL,
	    "Sign-in form: opens a browser session" },
	[R_PAGE_ACCOUNT] = { METHOD_GET, "/marketplace/account.html",
	    ROLES_SIGNED_IN, ROUTE_PAGE, h_page_account, NULL, "Your account" },
	[R_FORM_LOGOUT] = { METHOD_POST, "/marketplace/logout", ROLES_SIGNED_IN,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_IDEM | ROUTE_CLOSED_OK, h_form_logout,
	    NULL,
	    "Sign-out form" },
	[R_PAGE_DEMO_SHOP] = { METHOD_GET, "/marketplace/boutique-clara.html", ROLES_ALL,
	    0, h_page_demo_shop, NULL, "To the demo merchant's storefront" },
	[R_PAGE_SIGNUP] = { METHOD_GET, "/marketplace/signup.html", ROLES_ALL,
	    ROUTE_PAGE, h_page_signup, NULL, "Sign-up form: a new merchant and its shop" },
	[R_FORM_SIGNUP] = { METHOD_POST, "/marketplace/signup", ROLE_ANON | ADMIN,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_IDEM, h_form_signup, NULL,
	    "Sign-up form: onboards, signs the owner in, follows the deployment" },
	[R_PAGE_DEPLOYMENT] = { METHOD_GET, "/marketplace/backends/:id/deployment.html",
	    ROLES_SIGNED_IN, ROUTE_PAGE, h_page_deployment, &backends_entity,
	    "A shop's deployment, followed until it is live" },
	[R_PAGE_ADMIN] = { METHOD_GET, "/marketplace/platform-admin.html", STAFF,
	    ROUTE_PAGE, h_page_admin, NULL,
	    "The platform's dashboard (agents: the support part)" },
	[R_PAGE_MERCHANT] = { METHOD_GET, "/marketplace/merchant-dashboard.html",
	    OWNERS, ROUTE_PAGE, h_page_merchant, NULL,
	    "A merchant's dashboard: its shop's sales, subscription, invoices, "
	    "tickets (admins: ?merchant=)" },
	[R_PAGE_CHECKOUT_RETURN] = { METHOD_GET, "/marketplace/checkout/return", OWNERS,
	    ROUTE_PAGE, h_checkout_return, NULL,
	    "Where Stripe Checkout sends the merchant back (?session_id=cs_...)" },
	[R_PAGE_TESTER] = { METHOD_GET, "/marketplace/test-platform-api.html", STAFF,
	    ROUTE_PAGE, h_page_tester, NULL,
	    "The API tester: the routes of this table (?route=\"GET /api/x\")" },
	[R_FORM_TESTER] = { METHOD_POST, "/marketplace/test-platform-api", STAFF,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_IDEM, h_form_tester, NULL,
	    "The API tester's form: sends the request as the caller, shows the answer" },
	/* Its own rules are those of the route it runs (act.c). */
	[R_FORM_ACT] = { METHOD_POST, "/marketplace/act", ROLES_SIGNED_IN,
	    ROUTE_PAGE | ROUTE_FORM | ROUTE_NO_IDEM | ROUTE_SUSPENDED_OK |
	    ROUTE_CLOSED_OK, h_form_act, NULL,
	    "A dashboard's form: runs the API route it names, under that route's "
	    "rules" },
};

const size_t platform_nroutes = R__MAX;

extern const char lang_en[], lang_fr[];

const struct msg_lang platform_langs[] = {
	{ "en", lang_en },
	{ "fr", lang_fr },
};
const size_t platform_nlangs = sizeof(platform_langs) / sizeof(platform_langs[0]);

const struct app_def platform_app = {
	.name = "platform",
	.routes = platform_routes,
	.nroutes = R__MAX,
	.schema = schema_sql,
	.langs = platform_langs,
	.nlangs = sizeof(platform_langs) / sizeof(platform_langs[0]),
	.resolve = auth_resolve,
	.sign_in = 1,
};
