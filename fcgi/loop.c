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

int
fcgi_serve(void (*handle)(FCGX_Request *req, void *arg), void *arg)
{
	FCGX_Request req;
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
	/* EPOLLEXCLUSIVE: a new connection wakes one idle worker, not all. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
		fprintf(stderr, "worker: epoll: %s\n", strerror(errno));
		return 1;
	}
	/* listen_sock -1: libfcgi never accepts by itself; we hand it the
	 * connection we accepted. */
	FCGX_InitRequest(&req, -1, 0);
	while (!stopping) {
		struct epoll_event got;
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
		req.ipcFd = fd;
		/* keepConnection makes FCGX_Accept_r's own Finish leave our
		 * fresh connection open; the web server's BEGIN_REQUEST
		 * record then sets it for real. */
		req.keepConnection = 1;
		if (FCGX_Accept_r(&req) != 0) {
			if (req.ipcFd >= 0) {
				close(req.ipcFd);
				req.ipcFd = -1;
			}
			continue;
		}
		handle(&req, arg);
		FCGX_Finish_r(&req);
		if (req.ipcFd >= 0) {
			/* The server asked to keep the connection: we serve one
			 * request per connection, so close it. */
			close(req.ipcFd);
			req.ipcFd = -1;
		}
	}
	close(ep);
	return 0;
}
