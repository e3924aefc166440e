/*
 * platform-pool: the pre-fork master of a FastCGI pool.
 *
 *   platform-pool --socket PATH | --listen HOST:PORT [--workers N]
 *                 [--pidfile FILE] [--group NAME] [--drain SECONDS]
 *                 -- PROGRAM [ARGS...]
 *
 * Binds the unix socket (or the TCP address, for a pool that nginx on
 * another machine reaches), starts N workers (default: the number of cores)
 * running PROGRAM with the socket as fd 0, and then:
 *   - a worker that dies is replaced (with a pause if it dies at once);
 *   - SIGHUP starts a new generation of workers, then asks the old one to
 *     finish its requests and exit: the socket never closes, so no request
 *     is refused during a reload, and new binaries and templates are used;
 *   - SIGTERM/SIGINT stop accepting, let workers finish their requests
 *     (up to --drain seconds, default 10), then exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX_WORKERS 256

struct worker {
	pid_t	 pid;
	int	 gen;
	time_t	 started;
};

static struct worker workers[POOL_MAX_WORKERS * 2];
static int nworkers = 0;
static int generation = 0;
static char **prog_argv;
static int listen_fd = -1;

static void
logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	char line[512], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof(line), "%s pool[%d]: ", ts, (int)getpid());
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(2, line, (size_t)n);
	(void)w;
}

static int
bind_socket(const char *path, const char *group)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		logmsg("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A live socket means another pool serves it: refuse to steal it. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		logmsg("%s is already served by another pool", path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, 1024) < 0) {
		logmsg("bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (group) {
		struct group *g = getgrnam(group);
		if (g == NULL || chown(path, (uid_t)-1, g->gr_gid) < 0) {
			logmsg("cannot give %s to group %s", path, group);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* A TCP listening socket on host:port (an address of this machine). */
static int
bind_tcp(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(host)) {
		logmsg("--listen wants HOST:PORT, not %s", spec);
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int e = getaddrinfo(host, colon + 1, &hints, &ai);
	if (e != 0) {
		logmsg("--listen %s: %s", spec, gai_strerror(e));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		int one = 1;
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
			logmsg("bind %s: %s", spec, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static pid_t
spawn(int gen)
{
	pid_t pid = fork();
	if (pid < 0) {
		logmsg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(listen_fd, 0) < 0)
			_exit(127);
		/* A worker frees hundreds of small blocks an answer (cJSON):
		 * glibc's per-thread cache, 7 a size by default, then sends
		 * them to the fast bins, whose consolidation at the next large
		 * allocation cost a tenth of a list request. 1,000 a size keeps
		 * them cached. The operator's own tunables win. */
		if (getenv("GLIBC_TUNABLES") == NULL)
			setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=1000", 1);
		execv(prog_argv[0], prog_argv);
		logmsg("exec %s: %s", prog_argv[0], strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < POOL_MAX_WORKERS * 2; i++)
		if (workers[i].pid == 0) {
			workers[i].pid = pid;
			workers[i].gen = gen;
			workers[i].started = time(NULL);
			break;
		}
	return pid;
}

static int
count_gen(int gen)
{
	int n = 0;
	for (int i = 0; i < POOL_MAX_WORKERS * 2; i++)
		if (workers[i].pid && workers[i].gen == gen)
			n++;
	return n;
}

static int
count_all(void)
{
	int n = 0;
	for (int i = 0; i < POOL_MAX_WORKERS * 2; i++)
		n += workers[i].pid != 0;
	return n;
}

static void
signal_gen(int gen, int sig)
{
	for (int i = 0; i < POOL_MAX_WORKERS * 2; i++)
		if (workers[i].pid && (gen < 0 || workers[i].gen == gen))
			kill(workers[i].pid, sig);
}

/* Reaps dead workers; returns how many of the current generation died
 * within a second of starting (a crash loop to slow down). */
static int
reap(int *fast_deaths)
{
	int status, n = 0;
	pid_t pid;
	*fast_deaths = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < POOL_MAX_WORKERS * 2; i++) {
			if (workers[i].pid != pid)
				continue;
			if (WIFSIGNALED(status))
				logmsg("worker %d (generation %d) killed by signal %d",
				    (int)pid, workers[i].gen, WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				logmsg("worker %d (generation %d) exited with %d",
				    (int)pid, workers[i].gen, WEXITSTATUS(status));
			if (workers[i].gen == generation &&
			    time(NULL) - workers[i].started < 1)
				(*fast_deaths)++;
			workers[i].pid = 0;
			n++;
		}
	}
	return n;
}

static void
write_pidfile(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: platform-pool --socket PATH | --listen HOST:PORT "
	    "[--workers N] [--pidfile FILE] [--group NAME] [--drain SECONDS] -- "
	    "PROGRAM [ARGS]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *sock = NULL, *tcp = NULL, *pidfile = NULL, *group = NULL;
	long nw = sysconf(_SC_NPROCESSORS_ONLN), drain = 10;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--socket") == 0)
			sock = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0)
			tcp = argv[++i];
		else if (strcmp(argv[i], "--workers") == 0)
			nw = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--pidfile") == 0)
			pidfile = argv[++i];
		else if (strcmp(argv[i], "--group") == 0)
			group = argv[++i];
		else if (strcmp(argv[i], "--drain") == 0)
			drain = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if ((sock == NULL) == (tcp == NULL) || i >= argc || nw < 1 || nw > POOL_MAX_WORKERS ||
	    drain < 0 || drain > 3600)
		usage();
	nworkers = (int)nw;
	prog_argv = &argv[i];

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((listen_fd = sock ? bind_socket(sock, group) : bind_tcp(tcp)) < 0)
		return 1;
	for (int k = 0; k < nworkers; k++)
		spawn(generation);
	if (pidfile)
		write_pidfile(pidfile);
	logmsg("serving %s with %d workers of %s", sock ? sock : tcp, nworkers,
	    prog_argv[0]);

	int stopping = 0;
	time_t stop_deadline = 0, hold_until = 0;
	for (;;) {
		struct timespec tick = { 0, 200000000 };
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &tick);
		int fast = 0;
		if (sig == SIGHUP && !stopping) {
			int old = generation++;
			logmsg("reload: starting generation %d", generation);
			for (int k = 0; k < nworkers; k++)
				spawn(generation);
			signal_gen(old, SIGTERM);
		} else if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			logmsg("stopping: draining %d workers", count_all());
			stopping = 1;
			stop_deadline = time(NULL) + drain;
			signal_gen(-1, SIGTERM);
		}
		reap(&fast);
		/* Older generations still draining are asked again: a worker
		 * that was started but not yet waiting missed the first ask. */
		for (int w = 0; w < POOL_MAX_WORKERS * 2; w++)
			if (workers[w].pid && (stopping || workers[w].gen != generation) &&
			    sig < 0)
				kill(workers[w].pid, SIGTERM);
		if (stopping) {
			if (count_all() == 0)
				break;
			if (time(NULL) >= stop_deadline) {
				logmsg("drain timeout: killing %d workers", count_all());
				signal_gen(-1, SIGKILL);
				while (count_all() > 0 && reap(&fast) >= 0) {
					struct timespec ms = { 0, 10000000 };
					nanosleep(&ms, NULL);
				}
				break;
			}
			continue;
		}
		/* Workers dying at start (a broken binary or database) are
		 * respawned once a second, not in a tight loop. */
		if (fast > 0 && count_gen(generation) < nworkers) {
			if (hold_until <= time(NULL))
				logmsg("workers die at start: respawning in 1 s");
			hold_until = time(NULL) + 1;
		}
		if (time(NULL) >= hold_until)
			for (int k = count_gen(generation); k < nworkers; k++)
				spawn(generation);
	}
	close(listen_fd);
	if (sock)
		unlink(sock);
	if (pidfile)
		unlink(pidfile);
	logmsg("stopped");
	return 0;
}
