/*
 * The worker's accept loop, shared by the platform worker and the bare
 * responder: fd 0 is the pool's listening socket (FastCGI convention).
 * SIGTERM is only taken while waiting for a connection, so a worker always
 * finishes the request it is serving before it exits.
 */
#ifndef LOOP_H
#define LOOP_H

#include <fcgiapp.h>

/* Serves requests on fd 0 until SIGTERM; handle() answers one request.
 * Returns 0 on a clean stop, 1 on a fatal error. */
int	 fcgi_serve(void (*handle)(FCGX_Request *req, void *arg), void *arg);

#endif
