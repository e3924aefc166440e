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
#include <unistd.h>
#include <sys/stat.h>

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
	    "  backup FILE         copy the live database to FILE (online)\n"
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
	sqlite3 *dst = NULL;
	/* A copy of everything: its owner's only, as the database. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "platformctl: backup: %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	int rc = sqlite3_open(path, &dst);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", db_handle(db), "main");
		if (b) {
			/* Small steps let writers in between. */
			while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
			    rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
				sqlite3_sleep(5);
			sqlite3_backup_finish(b);
		}
		rc = sqlite3_errcode(dst);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "platformctl: backup: %s\n", sqlite3_errmsg(dst));
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : 1;
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
