/*
 * The deployer: runs a backend's deployment in logged steps, each its own
 * small write so the log is readable while it runs. Nothing user-supplied
 * reaches a command line or a file but the subdomain (checked when the
 * record was made: a DNS label), and programs are started without a
 * shell, their values in their environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "backends.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "mem.h"

extern char **environ;

#define DEPLOY_DIR	(CONFIG_PATH + 72)	/* a shop's directory */
#define DEPLOY_PATH	(CONFIG_PATH + 96)	/* a file in it */
#define DEPLOY_MSG	1400

static struct deploy_env env;

enum stmt_deploy {
	STMT_DP_GET,
	STMT_DP_BACKEND,
	STMT_DP_BEGIN,
	STMT_DP_END,
	STMT_DP_STEP,
	STMT_DP_STEP_END,
	STMT_DP_SET_STATUS,
	STMT_DP_RUNNING,
	STMT_DP_BUSY,
	STMT_DP__MAX
};

static const char *const stmts[STMT_DP__MAX] = {
	[STMT_DP_GET] = "SELECT backend_id, action, status FROM backend_deployments "
	    "WHERE id = ?",
	[STMT_DP_BACKEND] = "SELECT b.subdomain, b.secret, m.name, b.placement FROM "
	    "merchant_backends b JOIN merchants m ON m.id = b.merchant_id WHERE b.id = ?",
	[STMT_DP_BEGIN] = "UPDATE backend_deployments SET status = 'running', "
	    "started_at = ?1, updated_at = ?1 WHERE id = ?2 AND status = 'queued'",
	[STMT_DP_END] = "UPDATE backend_deployments SET status = ?1, message = ?2, "
	    "finished_at = ?3, updated_at = ?3 WHERE id = ?4",
	[STMT_DP_STEP] = "INSERT INTO deployment_steps (deployment_id, step, started_at, "
	    "outcome) VALUES (?, ?, ?, 'running')",
	[STMT_DP_STEP_END] = "UPDATE deployment_steps SET duration_ms = ?1, outcome = ?2, "
	    "message = ?3 WHERE id = ?4",
	[STMT_DP_SET_STATUS] = "UPDATE merchant_backends SET status = ?1, updated_at = ?2 "
	    "WHERE id = ?3",
	[STMT_DP_RUNNING] = "SELECT id FROM merchant_backends WHERE status = 'running' "
	    "AND id > ? ORDER BY id LIMIT 256",
	/* A backend with a deployment queued or under way is left to it. */
	[STMT_DP_BUSY] = "SELECT 1 FROM backend_deployments WHERE backend_id = ? AND "
	    "status IN ('queued', 'running')",
};

void
deploy_init(const struct deploy_env *e)
{
	env = *e;
}

/* A backend's places on this machine. */
struct target {
	int64_t		 id;
	char		 sub[64], secret[65], name[256];
	char		 dir[DEPLOY_DIR], db[DEPLOY_PATH], key[DEPLOY_PATH];
	char		 sock[DEPLOY_PATH], pid[DEPLOY_PATH], log[DEPLOY_PATH];
	char		 conf[DEPLOY_PATH];	/* its line of nginx's map */
	char		 placement[264];	/* "local" or host:port */
	char		 upstream[DEPLOY_PATH + 8]; /* unix:<sock> or host:port */
	int		 tcp;
};

static enum err
load(struct db *db, int64_t id, struct target *t)
{
	const struct config *cfg = config();
	memset(t, 0, sizeof(*t));
	t->id = id;
	enum err rc = db_get(db, stmts[STMT_DP_BACKEND], "i", "SSSS", id, t->sub,
	    sizeof(t->sub), t->secret, sizeof(t->secret), t->name, sizeof(t->name),
	    t->placement, sizeof(t->placement));
	if (rc != ERR_OK)
		return rc;
	/* The subdomain and the placement were checked when the record was
	 * made; again here, as they become a path and a command's argument. */
	if (backend_subdomain_refusal(t->sub) != NULL ||
	    backend_placement_refusal(t->placement) != NULL)
		return ERR_INTERNAL;
	snprintf(t->dir, sizeof(t->dir), "%s/%s", cfg->shops_dir, t->sub);
	snprintf(t->db, sizeof(t->db), "%s/shop.db", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/secret.key", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/shop.sock", t->dir);
	snprintf(t->pid, sizeof(t->pid), "%s/pool.pid", t->dir);
	snprintf(t->log, sizeof(t->log), "%s/shop.log", t->dir);
	snprintf(t->conf, sizeof(t->conf), "%s/%s.map", cfg->shops_nginx_dir, t->sub);
	t->tcp = strcmp(t->placement, "local") != 0;
	if (t->tcp)
		snprintf(t->upstream, sizeof(t->upstream), "%s", t->placement);
	else
		snprintf(t->upstream, sizeof(t->upstream), "unix:%s", t->sock);
	return ERR_OK;
}

/* --- steps, as they are logged ------------------------------------------ */

struct step {
	struct db	*db;
	int64_t		 id;
	int64_t		 t0;
};

static void
step_begin(struct db *db, int64_t deployment, const char *name, struct step *s)
{
	char ts[25];
	clock_format_ms(clock_now_ms(), ts);
	s->db = db;
	s->t0 = clock_mono_us();
	s->id = db_exec(db, stmts[STMT_DP_STEP], "iss", deployment, name, ts) == ERR_OK ?
	    sqlite3_last_insert_rowid(db_handle(db)) : 0;
}

static void
step_end(struct step *s, const char *outcome, const char *msg)
{
	if (s->id)
		db_exec(s->db, stmts[STMT_DP_STEP_END], "issi",
		    (clock_mono_us() - s->t0) / 1000, outcome, msg, s->id);
}

/* --- processes ------------------------------------------------------------ */

/* environ with name=value pairs set (a NULL-ended list of "NAME=value"):
 * the caller frees the array, not its strings. */
static char **
env_with(char *const *set)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	while (set[k])
		k++;
	char **e = xcalloc(n + k + 1, sizeof(*e));
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;
		for (size_t j = 0; j < k; j++) {
			size_t nl = strcspn(set[j], "=");
			if (strncmp(environ[i], set[j], nl + 1) == 0)
				replaced = 1;
		}
		if (!replaced)
			e[w++] = environ[i];
	}
	for (size_t j = 0; j < k; j++)
		e[w++] = set[j];
	return e;
}

/* Runs argv (no shell) with envp, stdout into out_path when not NULL,
 * within timeout_ms; its stderr's first bytes go to msg. Returns its exit
 * status, or -1. */
static int
run(char *const argv[], char *const envp[], const char *out_path, int timeout_ms,
    char *msg, size_t msgn)
{
	int errp[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	msg[0] = '\0';
	if (pipe2(errp, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_path)
		posix_spawn_file_actions_addopen(&fa, 1, out_path,
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(errp[1]);
	if (rc != 0) {
		snprintf(msg, msgn, "cannot run %s: %s", argv[0], strerror(rc));
		close(errp[0]);
		return -1;
	}
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	size_t got = 0;
	int status = -1;
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		ssize_t n;
		while (got < msgn - 1 && (n = read(errp[0], msg + got, msgn - 1 - got)) > 0)
			got += (size_t)n;
		msg[got] = '\0';
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (clock_mono_us() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(msg + got, msgn - got, "%s: timed out", argv[0]);
			status = -1;
			break;
		}
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	close(errp[0]);
	while (got > 0 && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
		msg[--got] = '\0';
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts argv in its own session, detached (it outlives the worker),
 * stdout and stderr appended to log. Returns 0 or -1. */
static int
spawn_detached(char *const argv[], char *const envp[], const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in < 0 || out < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return 0;
}

static pid_t
pid_of(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	long p = strtol(buf, NULL, 10);
	return p > 1 ? (pid_t)p : 0;
}

static int
alive(const char *pidfile)
{
	pid_t p = pid_of(pidfile);
	return p && kill(p, 0) == 0;
}

/* Stops the pool of pidfile: TERM (it drains), KILL after 10 s. */
static void
stop_pool(const char *pidfile)
{
	pid_t p = pid_of(pidfile);
	if (p && kill(p, SIGTERM) == 0)
		for (int i = 0; i < 1000 && kill(p, 0) == 0; i++) {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
			if (i == 999)
				kill(p, SIGKILL);
		}
	unlink(pidfile);
}

/* nginx's workers now: the children of its master. Returns how many
 * (at most max) were put in out. */
static int
nginx_workers(pid_t master, pid_t *out, int max)
{
	char path[64];
	long p;
	int n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)master, (int)master);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &p) == 1)
		out[n++] = (pid_t)p;
	fclose(f);
	return n;
}

/* Whether an nginx worker no longer takes connections: gone, or shutting
 * down (its title says so as it closes its listening sockets). */
static int
worker_retired(pid_t pid)
{
	char path[64], title[128];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 1;
	size_t n = fread(title, 1, sizeof(title) - 1, f);
	fclose(f);
	title[n] = '\0';
	return strstr(title, "worker process") == NULL ||
	    strstr(title, "shutting down") != NULL;
}

/*
 * Asks nginx to read its configuration again (graceful): through systemd
 * when it runs the shops (production), else by its pid file. The reload is
 * asynchronous: until the workers of the old configuration stop taking
 * connections, a request may still meet one of them (a shop just deployed
 * answered by the platform's 404). So it waits, up to 5 s, until each of
 * them is gone or shutting down.
 */
static int
nginx_reload(char *msg, size_t n)
{
	pid_t master = pid_of(config()->nginx_pid), old[64];
	int nold = master ? nginx_workers(master, old, 64) : 0;
	if (config()->shops_systemd) {
		char *argv[] = { (char *)config()->systemctl, "reload", "nginx.service",
		    NULL };
		if (run(argv, environ, NULL, 30000, msg, n) != 0) {
			if (msg[0] == '\0')
				snprintf(msg, n, "systemctl reload nginx.service failed");
			return -1;
		}
		snprintf(msg, n, "systemctl reload nginx.service");
	} else {
		if (master == 0 || kill(master, SIGHUP) != 0) {
			snprintf(msg, n, "nginx is not running (%s)", config()->nginx_pid);
			return -1;
		}
		snprintf(msg, n, "nginx %d reloads", (int)master);
	}
	for (int i = 0; i < nold; i++)
		for (int t = 0; t < 500 && !worker_retired(old[i]); t++) {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
	/* The title comes just before the listening sockets close. */
	struct timespec grace = { 0, 10000000 };
	if (nold)
		nanosleep(&grace, NULL);
	return 0;
}

/* --- the steps -------------------------------------------------------------- */

/* The directory, the key and the database, migrated. */
static int
prepare(const struct target *t, char *msg, size_t n)
{
	unsigned char key[32];
	if (mkdir(t->dir, 0711) != 0 && errno != EEXIST) {
		snprintf(msg, n, "mkdir %s: %s", t->dir, strerror(errno));
		return -1;
	}
	chmod(t->dir, 0711);
	int fd = open(t->key, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, t->secret, 64) != 64 || write(fd, "\n", 1) != 1) {
		snprintf(msg, n, "%s: %s", t->key, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (crypto_unhex(t->secret, key, sizeof(key)) != 0) {
		snprintf(msg, n, "the backend's key is malformed");
		return -1;
	}
	crypto_wipe(key, sizeof(key));
	struct db *sdb = NULL;
	if (env.shop_schema == NULL || db_open(t->db, &sdb) != ERR_OK ||
	    db_migrate(sdb, env.shop_schema) != ERR_OK) {
		db_close(sdb);
		snprintf(msg, n, "cannot create or migrate %s", t->db);
		return -1;
	}
	snprintf(msg, n, "%s: schema version %d", t->db, db_schema_version(sdb));
	db_close(sdb);
	return 0;
}

/* The shop's line of the shops' map (nginx/shops.conf.in), from
 * nginx/shop.map.in (deploy/nginx.sh shop, which checks both values). */
static int
render(const struct target *t, char *msg, size_t n)
{
	const struct config *cfg = config();
	char script[DEPLOY_PATH], tmp[DEPLOY_PATH + 8], v[2][DEPLOY_PATH + 32];
	snprintf(script, sizeof(script), "%s/deploy/nginx.sh", cfg->share_dir);
	snprintf(tmp, sizeof(tmp), "%s.new", t->conf);
	snprintf(v[0], sizeof(v[0]), "NGINX_SHOP_HOST=%s.%s", t->sub, cfg->shops_domain);
	snprintf(v[1], sizeof(v[1]), "NGINX_UPSTREAM=%s", t->upstream);
	char *set[] = { v[0], v[1], NULL };
	char **e = env_with(set);
	char *argv[] = { "/bin/sh", script, "shop", NULL };
	int rc = run(argv, e, tmp, 10000, msg, n);
	free(e);
	if (rc != 0 || rename(tmp, t->conf) != 0) {
		unlink(tmp);
		if (msg[0] == '\0')
			snprintf(msg, n, "cannot write %s", t->conf);
		return -1;
	}
	snprintf(msg, n, "%.200s.%.200s to %.400s", t->sub, cfg->shops_domain,
	    t->upstream);
	return 0;
}

/* nginx -t on the whole configuration, the new shop in it. */
static int
nginx_test(char *msg, size_t n)
{
	char *argv[] = { "/usr/sbin/nginx", "-t", "-q", "-e", "stderr", "-c",
	    (char *)config()->nginx_conf, NULL };
	if (run(argv, environ, NULL, 20000, msg, n) != 0) {
		if (msg[0] == '\0')
			snprintf(msg, n, "nginx -t refused the configuration");
		return -1;
	}
	snprintf(msg, n, "nginx -t: the configuration is valid");
	return 0;
}

/* What a shop's pool is given: its environment (set) and the pool's
 * arguments (args, before "-- shop-fcgi"). */
struct pool_spec {
	char	 v[5][DEPLOY_PATH + 32], workers[16];
	char	*set[6];
	char	*args[12];
	int	 nargs;
};

static void
pool_spec(const struct target *t, struct pool_spec *ps)
{
	const struct config *cfg = config();
	memset(ps, 0, sizeof(*ps));
	snprintf(ps->workers, sizeof(ps->workers), "%d", cfg->shop_workers);
	snprintf(ps->v[0], sizeof(ps->v[0]), "PLATFORM_DB=%s", t->db);
	snprintf(ps->v[1], sizeof(ps->v[1]), "PLATFORM_TEMPLATES=%s/templates/shop",
	    cfg->share_dir);
	snprintf(ps->v[2], sizeof(ps->v[2]), "SHOP_SECRET_FILE=%s", t->key);
	snprintf(ps->v[3], sizeof(ps->v[3]), "SHOP_NAME=%s", t->name);
	snprintf(ps->v[4], sizeof(ps->v[4]), "PLATFORM_JWT_SECRET_FILE=%s/none", t->dir);
	for (int i = 0; i < 5; i++)
		ps->set[i] = ps->v[i];
	int a = 0;
	ps->args[a++] = t->tcp ? "--listen" : "--socket";
	ps->args[a++] = (char *)(t->tcp ? t->placement : t->sock);
	ps->args[a++] = "--workers";
	ps->args[a++] = ps->workers;
	ps->args[a++] = "--pidfile";
	ps->args[a++] = (char *)t->pid;
	if (cfg->socket_group[0] && !t->tcp) {
		ps->args[a++] = "--group";
		ps->args[a++] = (char *)cfg->socket_group;
	}
	ps->nargs = a;
}

/* The shop's pool (platform-pool over shop-fcgi), detached, kept by the
 * worker (deploy_supervise). */
static int
start_detached(const struct target *t, char *msg, size_t n)
{
	const struct config *cfg = config();
	char pool[DEPLOY_PATH], prog[DEPLOY_PATH];
	struct pool_spec ps;
	pool_spec(t, &ps);
	snprintf(pool, sizeof(pool), "%s/platform-pool", cfg->bin_dir);
	snprintf(prog, sizeof(prog), "%s/shop-fcgi", cfg->bin_dir);
	char **e = env_with(ps.set);
	char *argv[16];
	int a = 0;
	argv[a++] = pool;
	for (int i = 0; i < ps.nargs; i++)
		argv[a++] = ps.args[i];
	argv[a++] = "--";
	argv[a++] = prog;
	argv[a] = NULL;
	int rc = spawn_detached(argv, e, t->log);
	free(e);
	/* Up when its pid file and socket are there (a TCP pool writes its
	 * pid file once it listens). */
	for (int i = 0; rc == 0 && i < 300 && !(alive(t->pid) && (t->tcp ||
	    access(t->sock, F_OK) == 0)); i++) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	if (rc != 0 || !alive(t->pid)) {
		snprintf(msg, n, "the pool did not start: see %s", t->log);
		return -1;
	}
	snprintf(msg, n, "pool %d on %s, %d workers", (int)pid_of(t->pid),
	    t->tcp ? t->placement : t->sock, cfg->shop_workers);
	return 0;
}

/* --- the pools under systemd (PLATFORM_SHOPS_SYSTEMD=1) ----------------- */

/* Runs systemctl verb on the shop's unit, marketplace-shop@<sub>.service
 * (deploy/systemd/marketplace-shop@.service). Returns its exit status. */
static int
systemctl(const struct target *t, const char *verb, char *msg, size_t n)
{
	char unit[96], *argv[5];
	int a = 0;
	snprintf(unit, sizeof(unit), "marketplace-shop@%s.service", t->sub);
	argv[a++] = (char *)config()->systemctl;
	argv[a++] = (char *)verb;
	if (strcmp(verb, "is-active") == 0)
		argv[a++] = "--quiet";
	argv[a++] = unit;
	argv[a] = NULL;
	int rc = run(argv, environ, NULL, 30000, msg, n);
	if (rc == 0)
		snprintf(msg, n, "systemctl %s %s", verb, unit);
	else if (msg[0] == '\0')
		snprintf(msg, n, "systemctl %s %s: status %d", verb, unit, rc);
	return rc;
}

/* Writes value into f in double quotes, as systemd's EnvironmentFile= (and
 * a shell) read it back: \, ", $ and ` escaped. */
static void
env_quoted(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (strchr("\\\"$`", *p))
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
}

/* The unit's EnvironmentFile, <dir>/pool.env: the shop's environment and
 * SHOP_POOL_ARGS, written whole or not at all. */
static int
write_pool_env(const struct target *t, char *msg, size_t n)
{
	char path[DEPLOY_PATH + 16], tmp[DEPLOY_PATH + 24];
	struct pool_spec ps;
	pool_spec(t, &ps);
	snprintf(path, sizeof(path), "%s/pool.env", t->dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		snprintf(msg, n, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fputs("# Written by the platform's worker at each deployment: never edit.\n", f);
	for (int i = 0; ps.set[i]; i++) {
		char name[64];
		size_t k = strcspn(ps.set[i], "=");
		snprintf(name, sizeof(name), "%.*s", (int)k, ps.set[i]);
		env_quoted(f, name, ps.set[i] + k + 1);
	}
	char args[4 * DEPLOY_PATH];
	size_t w = 0;
	for (int i = 0; i < ps.nargs && w < sizeof(args); i++)
		w += (size_t)snprintf(args + w, sizeof(args) - w, "%s%s", i ? " " : "",
		    ps.args[i]);
	env_quoted(f, "SHOP_POOL_ARGS", args);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(msg, n, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- who keeps a pool: the worker, or systemd ---------------------------- */

static int
start_pool(const struct target *t, char *msg, size_t n)
{
	if (!config()->shops_systemd)
		return start_detached(t, msg, n);
	if (write_pool_env(t, msg, n) != 0)
		return -1;
	return systemctl(t, "start", msg, n) == 0 ? 0 : -1;
}

static int
pool_alive(const struct target *t)
{
	char msg[256];
	if (!config()->shops_systemd)
		return alive(t->pid);
	return systemctl(t, "is-active", msg, sizeof(msg)) == 0;
}

static void
pool_stop(const struct target *t)
{
	char msg[256];
	if (!config()->shops_systemd)
		stop_pool(t->pid);
	else
		systemctl(t, "stop", msg, sizeof(msg));
}

/* Graceful: a new generation of workers, the old ones finish what they
 * serve; the socket never closes. */
static int
pool_reload(const struct target *t, char *msg, size_t n)
{
	if (config()->shops_systemd)
		return systemctl(t, "reload", msg, n) == 0 ? 0 : -1;
	pid_t p = pid_of(t->pid);
	if (p == 0 || kill(p, SIGHUP) != 0) {
		snprintf(msg, n, "cannot signal pool %d", (int)p);
		return -1;
	}
	snprintf(msg, n, "pool %d reloads", (int)p);
	return 0;
}

/* The shop's own health check, straight to its pool, before nginx sends
 * it anybody. */
static int
health(const struct target *t, char *msg, size_t n)
{
	int status = 0, tries = 0;
	int64_t deadline = clock_mono_us() + (int64_t)config()->shop_start_ms * 1000;
	while (env.probe) {
		tries++;
		if (env.probe(t->upstream, "/health", 1000, &status) == 0 && status == 200) {
			snprintf(msg, n, "GET /health: 200 (try %d)", tries);
			return 0;
		}
		if (clock_mono_us() > deadline)
			break;
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	snprintf(msg, n, "GET /health did not answer 200 within %d ms (last: %d, %d "
	    "tries)", config()->shop_start_ms, status, tries);
	return -1;
}

/* --- deployments ------------------------------------------------------------ */

/* What a deployment did, to undo on failure. */
struct done {
	int	 conf, pool;
};

static void
set_status(struct db *db, int64_t id, const char *status)
{
	char ts[25];
	clock_format_ms(clock_now_ms(), ts);
	db_exec(db, stmts[STMT_DP_SET_STATUS], "ssi", status, ts, id);
}

/* Runs one step: logged, and its message kept for the deployment's. */
#define STEP(name, call) do {						\
	struct step s_;							\
	step_begin(db, deployment, (name), &s_);			\
	int r_ = (call);						\
	step_end(&s_, r_ == 0 ? "ok" : "failed", msg);			\
	if (r_ != 0)							\
		goto failed;						\
} while (0)

enum err
deploy_run(struct db *db, int64_t deployment, int64_t now)
{
	char action[16] = "", dstatus[16] = "", ts[25], msg[DEPLOY_MSG] = "";
	int64_t backend = 0;
	struct target t;
	struct done did = { 0, 0 };
	enum err rc = db_get(db, stmts[STMT_DP_GET], "i", "ISS", deployment, &backend,
	    action, sizeof(action), dstatus, sizeof(dstatus));
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && strcmp(dstatus, "queued") != 0))
		return ERR_OK;	/* gone, or already run */
	if (rc != ERR_OK)
		return ERR_DB;
	clock_format_ms(now, ts);
	if (db_exec(db, stmts[STMT_DP_BEGIN], "si", ts, deployment) != ERR_OK)
		return ERR_DB;
	if ((rc = load(db, backend, &t)) != ERR_OK) {
		snprintf(msg, sizeof(msg), "the backend cannot be read");
		goto failed;
	}
	int deploying = strcmp(action, "deploy") == 0 || strcmp(action, "redeploy") == 0;
	if (deploying || strcmp(action, "start") == 0 || strcmp(action, "restart") == 0)
		set_status(db, backend, "deploying");
	if (deploying)
		STEP("prepare", prepare(&t, msg, sizeof(msg)));
	/* A restart puts back a shop's line that is missing (one deployed
	 * before the shops shared a server block). */
	int block = deploying || strcmp(action, "start") == 0 ||
	    (strcmp(action, "restart") == 0 && access(t.conf, F_OK) != 0);
	if (block) {
		STEP("render", render(&t, msg, sizeof(msg)));
		did.conf = 1;
		STEP("nginx-test", nginx_test(msg, sizeof(msg)));
	}
	if (strcmp(action, "restart") == 0 && pool_alive(&t)) {
		STEP("reload-pool", pool_reload(&t, msg, sizeof(msg)));
	} else if (deploying || strcmp(action, "start") == 0 ||
	    strcmp(action, "restart") == 0) {
		if (pool_alive(&t))
			pool_stop(&t);
		STEP("start-pool", start_pool(&t, msg, sizeof(msg)));
		did.pool = 1;
	}
	if (deploying || strcmp(action, "start") == 0 || strcmp(action, "restart") == 0) {
		STEP("health", health(&t, msg, sizeof(msg)));
		if (block)
			STEP("reload-nginx", nginx_reload(msg, sizeof(msg)));
		set_status(db, backend, "running");
		snprintf(msg, sizeof(msg), "running at https://%s.%s/", t.sub,
		    config()->shops_domain);
	} else {
		/* stop, undeploy: out of nginx first, then the pool. */
		STEP("remove-server-block", (unlink(t.conf) == 0 || errno == ENOENT) ?
		    (snprintf(msg, sizeof(msg), "%s removed", t.conf), 0) :
		    (snprintf(msg, sizeof(msg), "%s: %s", t.conf, strerror(errno)), -1));
		STEP("reload-nginx", nginx_reload(msg, sizeof(msg)));
		STEP("stop-pool", (pool_stop(&t), snprintf(msg, sizeof(msg),
		    "pool stopped"), 0));
		set_status(db, backend, strcmp(action, "undeploy") == 0 ? "removed" :
		    "stopped");
		snprintf(msg, sizeof(msg), "%s", strcmp(action, "undeploy") == 0 ?
		    "removed (its data stays)" : "stopped");
	}
	clock_format_ms(clock_now_ms(), ts);
	db_exec(db, stmts[STMT_DP_END], "sssi", "succeeded", msg, ts, deployment);
	return ERR_OK;
failed:
	{
		/* Undo what this deployment did; nginx never took the new block
		 * (the reload is the last step), so other sites never saw it. */
		char why[DEPLOY_MSG], undo[DEPLOY_MSG] = "";
		struct step s;
		snprintf(why, sizeof(why), "%s", msg);
		if (did.pool || did.conf) {
			step_begin(db, deployment, "rollback", &s);
			if (did.pool)
				pool_stop(&t);
			if (did.conf)
				unlink(t.conf);
			snprintf(undo, sizeof(undo), "%s%s", did.conf ?
			    "its map line removed; " : "", did.pool ? "pool stopped" : "");
			step_end(&s, "ok", undo);
		}
		set_status(db, backend, "failed");
		clock_format_ms(clock_now_ms(), ts);
		db_exec(db, stmts[STMT_DP_END], "sssi", "failed", why, ts, deployment);
	}
	return ERR_OK;
}

int
deploy_supervise(struct db *db, int64_t now)
{
	/* Under systemd, the units restart their pools (Restart=always). */
	if (config()->shops_systemd)
		return 0;
	int restarted = 0;
	int64_t after = 0;
	/* In pages: no statement stays open while pools are looked at. */
	for (;;) {
		sqlite3_stmt *st = db_bind(db, stmts[STMT_DP_RUNNING], "i", after);
		int64_t ids[256];
		int n = 0;
		if (st == NULL)
			return -1;
		while (n < 256 && db_step(db, st) == DB_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		db_done(st);
		if (n == 0)
			break;
		after = ids[n - 1];
		for (int i = 0; i < n; i++) {
			struct target t;
			int64_t busy = 0, dep;
			if (load(db, ids[i], &t) != ERR_OK || alive(t.pid) ||
			    db_get(db, stmts[STMT_DP_BUSY], "i", "I", ids[i], &busy) !=
			    ERR_NOT_FOUND)
				continue;
			if (db_begin(db) != ERR_OK)
				return -1;
			if (backend_queue(db, ids[i], "restart", now, &dep) != ERR_OK ||
			    db_commit(db) != ERR_OK) {
				db_rollback(db);
				return -1;
			}
			fprintf(stderr, "supervisor: the pool of %s is gone: restarting it\n",
			    t.sub);
			restarted++;
		}
	}
	return restarted;
}
