/*
 * API tokens for scripts and ops: created by an admin, the secret shown
 * once and stored as its SHA-256, read-only or full access, optional
 * expiry; used as "Authorization: Bearer <secret>".
 */
#ifndef TOKENS_H
#define TOKENS_H

#include "app.h"
#include "entity.h"

#define TOKEN_PREFIX "mpt_"

extern const struct entity tokens_entity;

/* POST /api/api-tokens: answers 201 with the record and its accessKey. */
enum err	 h_tokens_create(struct ctx *c);

#endif
