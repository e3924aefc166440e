/*
 * The platform program: its route table (routes.c) and its schema
 * (schema.sql, compiled in), for the FastCGI workers, the background
 * worker, platformctl and the tests.
 */
#ifndef PLATFORM_H
#define PLATFORM_H

#include "app.h"

/* The platform's route table: the single source of truth for its paths,
 * methods, roles and handlers. */
extern const struct route platform_routes[];
extern const size_t platform_nroutes;
/* The text of schema.sql. */
extern const char schema_sql[];
/* Its message catalogues (the files of lang/), English first. */
extern const struct msg_lang platform_langs[];
extern const size_t platform_nlangs;
/* The platform as the dispatcher serves it. */
extern const struct app_def platform_app;

#endif
