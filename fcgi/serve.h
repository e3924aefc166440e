/*
 * The FastCGI worker every program shares (fcgi/serve.c): a program's
 * main() is one call.
 */
#ifndef SERVE_H
#define SERVE_H

#include "app.h"

/* Loads the configuration, opens def and serves FastCGI requests on fd 0
 * until told to stop. name prefixes its messages. Returns the exit code. */
int	 serve_main(const char *name, const struct app_def *def);

#endif
