/*
 * The ops command line: migrate the database, load the demo data, back it
 * up online, report the schema version. The database path comes from
 * PLATFORM_DB (default var/platform.db).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "app.h"
#include "db.h"
#include "plans.h"

extern const char schema_sql[];

static int
usage(void)
{
	fprintf(stderr, "usage: platformctl migrate | seed | backup FILE | version\n"
	    "  migrate      create or upgrade the database (PLATFORM_DB)\n"
	    "  seed         load the demo data (development only)\n"
	    "  backup FILE  copy the live database to FILE (online)\n"
	    "  version      print the schema version and the latest known\n");
	return 2;
}

static int
backup(struct db *db, const char *path)
{
	sqlite3 *dst = NULL;
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

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct db *db = NULL;
	int rc = 1;

	if (argc < 2)
		return usage();
	config_from_env(&cfg);
	if (db_open(cfg.db_path, &db) != ERR_OK)
		return 1;
	if (strcmp(argv[1], "migrate") == 0) {
		int before = db_schema_version(db);
		if (db_migrate(db, schema_sql) == ERR_OK) {
			printf("schema version %d -> %d\n", before, db_schema_version(db));
			rc = 0;
		}
	} else if (strcmp(argv[1], "seed") == 0) {
		if (db_migrate(db, schema_sql) == ERR_OK && db_plans_seed(db) == ERR_OK) {
			printf("demo data loaded\n");
			rc = 0;
		}
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
