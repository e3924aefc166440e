#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Reads the web server's request on a connection just accepted (its
 * parameters; the body is read by the handler). Returns 0, or -1 with the
 * connection closed. */
static int
take(FCGX_Request *req, int fd)
{
	req->ipcFd = fd;
	/* keepConnection makes FCGX_Accept_r's own Finish leave our fresh
	 * connection open; the web server's BEGIN_REQUEST record then sets
	 * it for real. */
	req->keepConnection = 1;
	if (FCGX_Accept_r(req) != 0) {
		if (req->ipcFd >= 0) {
			close(req->ipcFd);
			req->ipcFd = -1;
		}
		return -1;
	}
	return 0;
}

static FCGX_Request reqs[FCGI_BATCH_MAX];

int
fcgi_take_waiting(FCGX_Request **taken, int n)
{
	int fd;
	while (n < FCGI_BATCH_MAX && (fd = accept4(0, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		if (take(&reqs[n], fd) == 0) {
			taken[n] = &reqs[n];
			n++;
		}
	return n;
}

/* Whether fd 0 is a Unix socket (not TCP). */
static int on_unix;

/* Ends the requests answered. */
static void
finish(FCGX_Request **taken, int n)
{
	for (int i = 0; i < n; i++) {
		/* On a Unix socket, close at once: what was sent stays for the
		 * server to read. libfcgi's own close waits (poll, up to 2 s)
		 * for the server to close first, and the worker with it; over
		 * TCP that wait keeps unread input from resetting the answer. */
		if (on_unix)
			taken[i]->keepConnection = 1;
		FCGX_Finish_r(taken[i]);
		if (taken[i]->ipcFd >= 0) {
			/* Kept (above, or the server asked): we serve one
			 * request per connection, so close it. */
			close(taken[i]->ipcFd);
			taken[i]->ipcFd = -1;
		}
	}
}

int
fcgi_serve(const struct fcgi_handler *h)
{
	FCGX_Request *taken[FCGI_BATCH_MAX];
	sigset_t block, wait_mask;
	struct sigaction sa;

	/* Die with the master rather than serve an orphaned socket. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 0;
	if (FCGX_Init() != 0) {
		fprintf(stderr, "worker: FCGX_Init failed\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	/* SIGTERM stays blocked except inside epoll_pwait(). */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);

	int fl = fcntl(0, F_GETFL);
	if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "worker: fd 0 is not the pool's socket\n");
		return 1;
	}
	struct sockaddr_storage addr;
	socklen_t alen = sizeof(addr);
	on_unix = getsockname(0, (struct sockaddr *)&addr, &alen) == 0 &&
	    addr.ss_family == AF_UNIX;
	/* EPOLLEXCLUSIVE: a new connection wakes one idle worker, not all. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
		fprintf(stderr, "worker: epoll: %s\n", strerror(errno));
		return 1;
	}
	/* listen_sock -1: libfcgi never accepts by itself; we hand it the
	 * connections we accepted. */
	for (int i = 0; i < FCGI_BATCH_MAX; i++)
		FCGX_InitRequest(&reqs[i], -1, 0);
	while (!stopping) {
		struct epoll_event got;
		/* The handler may take connections first (its turn came); a
		 * SIGTERM waiting meanwhile still ends the loop. */
		int n = h->handle(taken, 0, h->arg);
		if (n > 0) {
			finish(taken, n);
			sigset_t pending;
			if (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) == 1 ||
			    sigismember(&pending, SIGINT) == 1))
				break;
			continue;
		}
		int r = epoll_pwait(ep, &got, 1, -1, &wait_mask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "worker: epoll_pwait: %s\n", strerror(errno));
			return 1;
		}
		int fd = accept4(0, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				continue;	/* another worker took it */
			fprintf(stderr, "worker: accept: %s\n", strerror(errno));
			return 1;
		}
		if (take(&reqs[0], fd) != 0)
			continue;
		taken[0] = &reqs[0];
		finish(taken, h->handle(taken, 1, h->arg));
	}
	close(ep);
	return 0;
}
