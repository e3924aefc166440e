/*
 * The ops command line: migrate the database, load the demo data, create
 * an admin, unlock an account, back it up online, report the schema
 * version, print the configuration. The database path comes from
 * PLATFORM_DB (lib/core/config.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <sqlite3.h>

#include "app.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "demo.h"
#include "platform.h"
#include "shop.h"
#include "users.h"

/* The demo shop's database, stocked: the deployment finds it there and
 * keeps it (development only). */
static enum err
seed_demo_shop(void)
{
	char dir[CONFIG_PATH + 80], path[CONFIG_PATH + 96];
	struct db *sdb = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", config()->shops_dir, DEMO_SHOP);
	if (mkdir(dir, 0711) != 0 && errno != EEXIST) {
		fprintf(stderr, "platformctl: %s: %s\n", dir, strerror(errno));
		return ERR_INTERNAL;
	}
	snprintf(path, sizeof(path), "%s/shop.db", dir);
	enum err rc = db_open(path, &sdb);
	if (rc == ERR_OK)
		rc = db_migrate(sdb, shop_sql);
	if (rc == ERR_OK)
		rc = shop_demo_seed(sdb);
	db_close(sdb);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: platformctl COMMAND\n"
	    "  migrate             create or upgrade the database (PLATFORM_DB)\n"
	    "  seed                load the demo data (development only)\n"
	    "  create-admin EMAIL  create an admin; the password is read from\n"
	    "                      standard input, or asked for on a terminal\n"
	    "  unlock EMAIL        end the wait of an account after failed sign-ins\n"
	    "  backup FILE         copy the live database to FILE (online, checked)\n"
	    "  restore FILE        put a backup in place of the database (the\n"
	    "                      platform stopped; the old one is kept aside)\n"
	    "  version             print the schema version and the latest known\n"
	    "  config [--shell | --markdown]\n"
	    "                      check the configuration and print it (secrets\n"
	    "                      masked); --shell: what deploy/stack.sh reads;\n"
	    "                      --markdown: the README's table of variables\n");
	return 2;
}

static int
backup(struct db *db, const char *path)
{
	char why[512];
	if (db_backup(db, path, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "platformctl: backup: %s\n", why);
		return 1;
	}
	printf("backed up to %s (schema version %d)\n", path, db_schema_version(db));
	return 0;
}

/* Whether the platform runs on this var/: its pool's socket answers, or
 * its background worker is a live process (a zombie is not). */
static int
platform_running(void)
{
	char path[CONFIG_PATH + 32];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(path, sizeof(path), "%s/run/platform.sock", config()->var_dir);
	if (strlen(path) < sizeof(sa.sun_path)) {
		strcpy(sa.sun_path, path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int up = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (up)
			return 1;
	}
	snprintf(path, sizeof(path), "%s/run/worker.pid", config()->var_dir);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid <= 0)
		return 0;
	char stat[64], state = 0;
	snprintf(stat, sizeof(stat), "/proc/%d/stat", pid);
	if ((f = fopen(stat, "r")) != NULL) {
		if (fscanf(f, "%*d %*s %c", &state) != 1)
			state = 0;
		fclose(f);
	}
	return state != 0 && state != 'Z' && state != 'X';
}

/* Copies src to dst (created 0600, synced). */
static int
copy_file(const char *src, const char *dst)
{
	char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = in >= 0 && out >= 0 ? 0 : -1;
	ssize_t got;
	while (rc == 0 && (got = read(in, buf, sizeof(buf))) != 0)
		if (got < 0 || write(out, buf, (size_t)got) != got)
			rc = -1;
	if (rc == 0 && fsync(out) != 0)
		rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

/*
 * platformctl restore FILE: the platform stopped, FILE checked (integrity,
 * a schema this build knows), the database in place moved aside with its
 * WAL ("<db>.before-restore-<time>", never deleted), FILE copied in. The
 * next start migrates it if it is older.
 */
static int
restore(const char *file)
{
	char why[512], aside[CONFIG_PATH + 64], tmp[CONFIG_PATH + 16];
	const char *dbp = config()->db_path;
	int version;
	if (db_check_file(file, &version, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "platformctl: restore: %s: %s\n", file, why);
		return 1;
	}
	int latest = db_schema_latest(schema_sql);
	if (version < 1 || version > latest) {
		fprintf(stderr, "platformctl: restore: %s: schema version %d, this build "
		    "knows 1 to %d\n", file, version, latest);
		return 1;
	}
	if (platform_running()) {
		fprintf(stderr, "platformctl: restore: the platform is running on %s: stop "
		    "it first (make stop, or systemctl stop the platform units)\n",
		    config()->var_dir);
		return 1;
	}
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(tmp, sizeof(tmp), "%s.partial", dbp);
	if (copy_file(file, tmp) != 0) {
		fprintf(stderr, "platformctl: restore: %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		return 1;
	}
	/* The database in place and its WAL go aside together: a WAL must
	 * never meet another database. */
	static const char *const parts[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char from[CONFIG_PATH + 8];
		snprintf(from, sizeof(from), "%s%s", dbp, parts[i]);
		snprintf(aside, sizeof(aside), "%s.before-restore-%s%s", dbp, stamp, parts[i]);
		if (rename(from, aside) != 0 && errno != ENOENT) {
			fprintf(stderr, "platformctl: restore: %s: %s\n", from, strerror(errno));
			unlink(tmp);
			return 1;
		}
	}
	if (rename(tmp, dbp) != 0) {
		fprintf(stderr, "platformctl: restore: %s: %s\n", dbp, strerror(errno));
		return 1;
	}
	snprintf(aside, sizeof(aside), "%s.before-restore-%s", dbp, stamp);
	printf("restored %s (schema version %d) to %s%s%s\n", file, version, dbp,
	    access(aside, F_OK) == 0 ? "; the database it replaces is " : "",
	    access(aside, F_OK) == 0 ? aside : "");
	return 0;
}

/* Reads one line: on a terminal without echo, twice to confirm. */
static int
read_password(char *out, size_t n)
{
	int tty = isatty(0);
	struct termios old, quiet;
	char again[300];
	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round == 0 ? out : again;
		size_t sz = round == 0 ? n : sizeof(again);
		if (tty) {
			fprintf(stderr, round == 0 ? "Password: " : "Again: ");
			tcgetattr(0, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSAFLUSH, &quiet);
		}
		char *got = fgets(dst, (int)sz, stdin);
		if (tty) {
			tcsetattr(0, TCSAFLUSH, &old);
			fprintf(stderr, "\n");
		}
		if (got == NULL)
			return -1;
		dst[strcspn(dst, "\r\n")] = '\0';
	}
	if (tty && strcmp(out, again) != 0) {
		fprintf(stderr, "platformctl: the passwords differ\n");
		return -1;
	}
	crypto_wipe(again, sizeof(again));
	return 0;
}

static int
create_admin(struct db *db, const char *email)
{
	char pw[300];
	const char *why = NULL;
	int64_t id = 0;
	if (read_password(pw, sizeof(pw)) != 0)
		return 1;
	enum err rc = db_users_create(db, email, NULL, pw, "admin", 0, &id, &why);
	crypto_wipe(pw, sizeof(pw));
	if (rc != ERR_OK) {
		fprintf(stderr, "platformctl: %s: %s\n", email, why ? why :
		    "database error");
		return 1;
	}
	printf("admin %s created (id %lld)\n", email, (long long)id);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct db *db = NULL;
	char why[300];
	int rc = 1;

	if (argc < 2)
		return usage();
	/* The configuration, checked whatever the command: a bad value is
	 * named before anything else happens. */
	if (config_load(why, sizeof(why)) != 0) {
		fprintf(stderr, "platformctl: configuration: %s\n", why);
		return 1;
	}
	if (strcmp(argv[1], "config") == 0 && argc <= 3) {
		if (argc == 2)
			config_print(stdout);
		else if (strcmp(argv[2], "--shell") == 0)
			config_print_shell(stdout);
		else if (strcmp(argv[2], "--markdown") == 0)
			config_print_markdown(stdout);
		else
			return usage();
		return 0;
	}
	json_init();
	if (msg_use(platform_langs, platform_nlangs, why, sizeof(why)) != 0) {
		fprintf(stderr, "platformctl: message catalogue: %s\n", why);
		return 1;
	}
	/* Before the database is opened (which would create it). */
	if (strcmp(argv[1], "restore") == 0)
		return argc == 3 ? restore(argv[2]) : usage();
	if (db_open(config()->db_path, &db) != ERR_OK)
		return 1;
	if (strcmp(argv[1], "migrate") == 0) {
		int before = db_schema_version(db);
		if (db_migrate(db, schema_sql) == ERR_OK) {
			printf("schema version %d -> %d\n", before, db_schema_version(db));
			rc = 0;
		}
	} else if (strcmp(argv[1], "seed") == 0) {
		if (db_migrate(db, schema_sql) == ERR_OK && demo_seed(db) == ERR_OK &&
		    seed_demo_shop() == ERR_OK) {
			printf("demo data loaded\n");
			rc = 0;
		}
	} else if (strcmp(argv[1], "create-admin") == 0 && argc == 3) {
		rc = db_migrate(db, schema_sql) == ERR_OK ? create_admin(db, argv[2]) : 1;
	} else if (strcmp(argv[1], "unlock") == 0 && argc == 3) {
		enum err e = auth_unlock(db, 0, argv[2]);
		if (e == ERR_OK)
			printf("%s may sign in again\n", argv[2]);
		else
			fprintf(stderr, "platformctl: %s: %s\n", argv[2], e == ERR_NOT_FOUND ?
			    "no such user" : "database error");
		rc = e != ERR_OK;
	} else if (strcmp(argv[1], "backup") == 0 && argc == 3) {
		rc = backup(db, argv[2]);
	} else if (strcmp(argv[1], "version") == 0) {
		printf("%d %d\n", db_schema_version(db), db_schema_latest(schema_sql));
		rc = 0;
	} else
		rc = usage();
	db_close(db);
	return rc;
}
