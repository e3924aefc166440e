/* The direction of includes between the layers of lib/ (test/layers.sh,
 * `make lint`): it holds on the tree, and a deliberate violation of each
 * rule is refused, naming the file and the header. */
#include "unit.h"

#include <sys/stat.h>
#include <sys/wait.h>

/* Runs the checker on dir; returns its exit status, its output in out. */
static int
lint(const char *dir, char *out, size_t n)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sh test/layers.sh %s 2>&1", dir);
	return unit_run(cmd, out, n);
}

static void
put(const char *dir, const char *path, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, path);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A small tree in the shape of lib/, where each layer includes only what
 * it may. */
static void
tree(char *dir, size_t n)
{
	char p[600];
	snprintf(dir, n, "/tmp/layers-%d-XXXXXX", (int)getpid());
	assert_non_null(mkdtemp(dir));
	const char *layers[] = { "core", "web", "platform", "shop" };
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, layers[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	put(dir, "core/mem.h", "#include <stddef.h>\n");
	put(dir, "core/db.c", "#include \"mem.h\"\n#include \"generated.h\"\n");
	put(dir, "web/app.h", "#include \"mem.h\"\n");
	put(dir, "web/app.c", "#include \"app.h\"\n");
	put(dir, "platform/plans.c", "#include \"app.h\"\n#include \"plans.h\"\n");
	put(dir, "platform/plans.h", "#include \"mem.h\"\n");
	put(dir, "shop/products.c", "#include \"app.h\"\n");
}

static void
wipe(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void
layers_should_hold_on_the_tree(void **state)
{
	char out[4096];
	(void)state;
	int rc = lint("lib", out, sizeof(out));
	if (rc != 0)
		fail_msg("%s", out);
	assert_string_equal(out, "");
}

static void
layers_should_accept_includes_downwards(void **state)
{
	char dir[128], out[4096];
	(void)state;
	tree(dir, sizeof(dir));
	assert_int_equal(lint(dir, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	wipe(dir);
}

/* In a tree that holds to every rule, file becomes text: the checker must
 * refuse it with exactly "layers: <tree>/<file> <why>". */
static void
refused(const char *file, const char *text, const char *why)
{
	char dir[128], out[4096], want[600];
	tree(dir, sizeof(dir));
	put(dir, file, text);
	assert_int_equal(lint(dir, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "layers: %s/%s %s", dir, file, why);
	assert_string_equal(out, want);
	wipe(dir);
}

static void
layers_should_refuse_core_including_web(void **state)
{
	(void)state;
	refused("core/db.c", "#include \"mem.h\"\n#include \"app.h\"\n",
	    "includes app.h of lib/web: core may include only core\n");
}

static void
layers_should_refuse_web_including_a_program(void **state)
{
	(void)state;
	refused("web/app.h", "#include \"plans.h\"\n", "includes plans.h of "
	    "lib/platform: web may include only core web\n");
}

static void
layers_should_keep_the_programs_apart(void **state)
{
	(void)state;
	refused("shop/products.c", "#include \"app.h\"\n#include \"plans.h\"\n",
	    "includes plans.h of lib/platform: shop may include only core web shop\n");
}

static void
layers_should_keep_fastcgi_out_of_lib(void **state)
{
	(void)state;
	refused("web/app.c", "#include <fcgiapp.h>\n#include \"app.h\"\n",
	    "includes FastCGI: lib/ knows nothing of it (fcgi/ does)\n");
}

static void
layers_should_refuse_includes_by_path(void **state)
{
	(void)state;
	refused("core/db.c", "#include \"../web/app.h\"\n", "includes "
	    "\"../web/app.h\": include headers by name, never by path\n");
}

static void
layers_should_keep_the_environment_to_the_configuration(void **state)
{
	char dir[128], out[4096], want[600];
	(void)state;
	tree(dir, sizeof(dir));
	put(dir, "core/config.c", "#include <stdlib.h>\nconst char *v(void) "
	    "{ return getenv(\"X\"); }\n");
	assert_int_equal(lint(dir, out, sizeof(out)), 0);
	put(dir, "web/app.c", "#include \"app.h\"\nconst char *v(void) "
	    "{ return getenv(\"PLATFORM_X\"); }\n");
	put(dir, "platform/plans.c", "#include <time.h>\nvoid z(void) "
	    "{ setenv(\"TZ\", \"UTC\", 1); tzset(); }\n");
	assert_int_equal(lint(dir, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "layers: %s/platform/plans.c changes the environment "
	    "or the C library's zone: use core/tz.h\nlayers: %s/web/app.c reads the "
	    "environment: only the table of core/config.c does\n", dir, dir);
	assert_string_equal(out, want);
	wipe(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layers_should_hold_on_the_tree),
		cmocka_unit_test(layers_should_accept_includes_downwards),
		cmocka_unit_test(layers_should_refuse_core_including_web),
		cmocka_unit_test(layers_should_refuse_web_including_a_program),
		cmocka_unit_test(layers_should_keep_the_programs_apart),
		cmocka_unit_test(layers_should_keep_fastcgi_out_of_lib),
		cmocka_unit_test(layers_should_refuse_includes_by_path),
		cmocka_unit_test(layers_should_keep_the_environment_to_the_configuration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
