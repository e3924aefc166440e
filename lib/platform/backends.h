/*
 * Merchant backends: each merchant's shop (shop-fcgi), deployed on its
 * subdomain by the background worker in logged steps, watched, restarted.
 * The records and routes are here; the steps in deploy.c.
 */
#ifndef BACKENDS_H
#define BACKENDS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "app.h"
#include "entity.h"

extern const struct entity backends_entity;
extern const struct entity deployments_entity;

/* Why subdomain cannot be a shop's (a DNS label of 3 to 63 of a-z, 0-9 and
 * inner hyphens, not reserved), or NULL when it can. Static text. */
const char	*backend_subdomain_refusal(const char *subdomain);
/* Why p cannot be where a shop's pool listens, or NULL when it can:
 * "local" (a unix socket in its directory) or HOST:PORT (TCP; a host
 * name or IPv4 address, a port from 1024). Static text. */
const char	*backend_placement_refusal(const char *p);
/* Queues action ("deploy", "redeploy", "restart", "stop", "start",
 * "undeploy") of backend id inside the caller's transaction: its
 * deployment record (*deployment) and the worker's job. Returns ERR_OK or
 * ERR_DB. */
enum err	 backend_queue(struct db *db, int64_t id, const char *action, int64_t now,
		    int64_t *deployment);
/* Checks a shop's subdomain (value v of the body's member path): a DNS
 * label, not reserved, not taken. Adds the error to c->ve and returns -1,
 * or returns 0. */
int		 backend_check_subdomain(struct ctx *c, const char *path,
		    const cJSON *v);
/* Creates the backend of merchant on subdomain (a JSON string, checked
 * here), placed where placement says (NULL: "local"; checked here, and
 * no other live shop may listen there) inside the caller's transaction,
 * with a new key; the caller
 * queues its deployment (backend_queue). The onboarding's and
 * POST /api/merchant-backends' one way. Returns ERR_OK with *id,
 * ERR_VALIDATION (c->ve names the field and the rule) or ERR_DB. */
enum err	 backend_create(struct ctx *c, int64_t merchant, const cJSON *subdomain,
		    const cJSON *placement, int64_t *id);

/* Makes sure merchant has a backend on subdomain (a valid one), creating it
 * and queueing its deployment when it has none (the demo data). Returns
 * ERR_OK or ERR_DB. */
enum err	 backend_ensure(struct db *db, int64_t merchant, const char *subdomain,
		    int64_t now);

/* POST /api/merchant-backends: {merchant, subdomain}; 201 with the record,
 * its key (shown this once) and where to follow its deployment. */
enum err	 h_backends_create(struct ctx *c);
/* Backend id as the caller sees it, with its latest deployment's steps and
 * the earlier deployments: {status, backend, latest, earlier}. The caller
 * found id with crud_resolve (which scopes a merchant to its own). Caller
 * deletes; NULL when there is none. */
cJSON		*backend_status(struct ctx *c, int64_t id);
/* GET /api/merchant-backends/:id/deployment-status */
enum err	 h_backends_status(struct ctx *c);
/* POST /api/merchant-backends/:id/restart | stop | start | redeploy, and
 * DELETE /api/merchant-backends/:id (undeploy): 202 with the deployment. */
enum err	 h_backends_restart(struct ctx *c);
enum err	 h_backends_stop(struct ctx *c);
enum err	 h_backends_start(struct ctx *c);
enum err	 h_backends_redeploy(struct ctx *c);
enum err	 h_backends_undeploy(struct ctx *c);

/* What the deployer needs from the programs' layer (fcgi/): the shop's
 * schema, and how to ask a FastCGI pool for a page. */
struct deploy_env {
	const char	*shop_schema;
	int		(*probe)(const char *address, const char *path, int timeout_ms,
			    int *status);
};

/* Gives the deployer its environment (the worker, at start). */
void		 deploy_init(const struct deploy_env *env);
/* Runs deployment id: each step recorded with its start, duration,
 * outcome and message; a failed step undoes what the deployment did
 * (its line of nginx's map removed, pool stopped) and every other site keeps
 * serving. Returns ERR_OK when it ran (succeeded or failed: see its
 * record), ERR_DB otherwise. */
enum err	 deploy_run(struct db *db, int64_t deployment, int64_t now);
/* Starts again the pool of every running backend whose pool is gone (a
 * restart, logged as a deployment). Returns how many, or -1. */
int		 deploy_supervise(struct db *db, int64_t now);
/* Probes every running backend through nginx (GET /health over HTTPS on
 * its subdomain, 2 s at most) and records status, latency, health, the
 * uptime and latency of the last 24 hours; a backend that goes down is
 * restarted and its merchant told. Returns how many were probed, or -1. */
int		 monitor_probe_all(struct db *db, int64_t now);
/* The statistics of the shop on subdomain sub (GET /api/stats through
 * nginx with its key, 1.5 s at most): the answer's data object, or NULL
 * when the shop did not give them. Caller deletes. */
cJSON		*monitor_shop_stats(const char *sub, const char *key);

#endif
