/*
 * Users: admins, agents and merchant users (each belongs to one merchant).
 * Passwords are stored as argon2id hashes and never leave the core.
 */
#ifndef USERS_H
#define USERS_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "app.h"
#include "entity.h"

extern const struct entity users_entity;

/* Reads user id as Strapi's user object (caller deletes), or NULL. */
cJSON		*users_read(struct ctx *c, int64_t id);
/* PUT /api/users/:id/unlock: ends the wait after failed sign-ins
 * (audited); answers the user. */
enum err	 h_users_unlock(struct ctx *c);
/* Creates a user outside any request (command line, demo data): hashes
 * the password, checks the e-mail. merchant_id is 0 unless role is
 * "merchant". Returns ERR_OK (setting *id if not NULL), ERR_VALIDATION
 * with a reason in why, ERR_CONFLICT when the e-mail exists, or ERR_DB. */
enum err	 db_users_create(struct db *db, const char *email, const char *name,
		    const char *password, const char *role, int64_t merchant_id,
		    int64_t *id, const char **why);

/* POST /api/auth/local: {identifier, password} -> {jwt, user}. */
enum err	 h_auth_local(struct ctx *c);
/* GET /api/users/me */
enum err	 h_users_me(struct ctx *c);

#endif
