/*
 * The route table: the single source of truth for paths, methods, who may
 * call each route and its handler. Tests and the API tester page read it.
 * Order matters only between a literal segment and a :id at the same place:
 * the literal comes first.
 */
#include "app.h"
#include "crud.h"
#include "pages.h"
#include "plans.h"

enum route_id {
	R_HEALTH,
	R_PLANS_ACTIVE,
	R_PLANS_FIND,
	R_PLANS_FIND_ONE,
	R_PLANS_CREATE,
	R_PLANS_UPDATE,
	R_PLANS_DELETE,
	R_PAGE_PLANS,
	R__MAX
};

const struct route routes[R__MAX] = {
	[R_HEALTH] = { METHOD_GET, "/health", ROLES_ALL, 0, h_health, NULL,
	    "Liveness and database check" },
	[R_PLANS_ACTIVE] = { METHOD_GET, "/api/subscription-plans/active",
	    ROLES_ALL, ROUTE_CACHE, h_plans_active, &plans_entity,
	    "Active plans in sortOrder" },
	[R_PLANS_FIND] = { METHOD_GET, "/api/subscription-plans", ROLES_ALL,
	    ROUTE_CACHE, h_crud_find, &plans_entity, "List plans" },
	[R_PLANS_FIND_ONE] = { METHOD_GET, "/api/subscription-plans/:id",
	    ROLES_ALL, ROUTE_CACHE, h_crud_find_one, &plans_entity, "One plan" },
	[R_PLANS_CREATE] = { METHOD_POST, "/api/subscription-plans", ROLE_ADMIN,
	    ROUTE_BODY, h_crud_create, &plans_entity, "Create a plan" },
	[R_PLANS_UPDATE] = { METHOD_PUT, "/api/subscription-plans/:id",
	    ROLE_ADMIN, ROUTE_BODY, h_crud_update, &plans_entity, "Update a plan" },
	[R_PLANS_DELETE] = { METHOD_DELETE, "/api/subscription-plans/:id",
	    ROLE_ADMIN, 0, h_crud_delete, &plans_entity, "Delete a plan" },
	[R_PAGE_PLANS] = { METHOD_GET, "/marketplace/plans.html", ROLES_ALL,
	    ROUTE_CACHE | ROUTE_PAGE, h_page_plans, NULL, "Pricing page" },
};

const size_t nroutes = R__MAX;
