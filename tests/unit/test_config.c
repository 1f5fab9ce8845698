/* test_config.c - configuration precedence: default < file < environment < command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char conf_path[64];

static void
write_conf(const char *text)
{
	FILE *f;

	snprintf(conf_path, sizeof(conf_path), "/tmp/cp-test-config.%ld.conf", (long)getpid());
	f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_defaults_come_from_the_table(void **state)
{
	struct config *cfg = config_new();

	assert_int_equal(config_int(cfg, "photo.width"), 358);
	assert_int_equal(config_int(cfg, "photo.height"), 441);
	assert_int_equal(config_int(cfg, "sla.new_days"), 30);
	assert_int_equal(config_int(cfg, "sla.replace_working_days"), 4);
	assert_int_equal(config_source_of(cfg, "photo.width"), CFG_DEFAULT);
	config_free(cfg);
}

static void
test_file_overrides_default(void **state)
{
	struct config *cfg = config_new();

	write_conf("[photo]\nwidth = 400\n; comment\n[card]\nnumber_prefix = C\n");
	assert_int_equal(config_load_file(cfg, conf_path), 0);
	assert_int_equal(config_int(cfg, "photo.width"), 400);
	assert_string_equal(config_str(cfg, "card.number_prefix"), "C");
	assert_int_equal(config_source_of(cfg, "photo.width"), CFG_FILE);
	assert_int_equal(config_int(cfg, "photo.height"), 441);
	config_free(cfg);
	unlink(conf_path);
}

static void
test_env_overrides_file_and_cli_overrides_env(void **state)
{
	struct config *cfg = config_new();

	write_conf("[photo]\nwidth = 400\nheight = 500\n");
	assert_int_equal(config_load_file(cfg, conf_path), 0);
	setenv("CARDPIPE_PHOTO_WIDTH", "410", 1);
	assert_int_equal(config_load_env(cfg), 0);
	unsetenv("CARDPIPE_PHOTO_WIDTH");
	assert_int_equal(config_int(cfg, "photo.width"), 410);
	assert_int_equal(config_source_of(cfg, "photo.width"), CFG_ENV);
	assert_int_equal(config_int(cfg, "photo.height"), 500);

	assert_int_equal(config_set(cfg, "photo.width", "420", CFG_CLI), 0);
	assert_int_equal(config_int(cfg, "photo.width"), 420);
	assert_int_equal(config_source_of(cfg, "photo.width"), CFG_CLI);
	config_free(cfg);
	unlink(conf_path);
}

static void
test_unknown_key_in_file_names_the_line(void **state)
{
	struct config *cfg = config_new();

	write_conf("[photo]\nwidth = 400\n\n[nosuch]\nkey = 1\n");
	assert_int_equal(config_load_file(cfg, conf_path), CP_ERR_CONFIG);
	assert_non_null(strstr(cp_errmsg(), ":5:"));
	assert_non_null(strstr(cp_errmsg(), "nosuch.key"));
	config_free(cfg);
	unlink(conf_path);
}

static void
test_bad_values_are_refused(void **state)
{
	struct config *cfg = config_new();

	assert_int_equal(config_set(cfg, "photo.width", "wide", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_set(cfg, "photo.width", "12x", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_set(cfg, "general.reject_threshold", "0.x", CFG_CLI),
			 CP_ERR_CONFIG);
	assert_int_equal(config_set(cfg, "no.such", "1", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_int(cfg, "photo.width"), 358);
	config_free(cfg);
}

static void
test_bad_env_value_names_the_variable(void **state)
{
	struct config *cfg = config_new();

	setenv("CARDPIPE_PHOTO_HEIGHT", "tall", 1);
	assert_int_equal(config_load_env(cfg), CP_ERR_CONFIG);
	unsetenv("CARDPIPE_PHOTO_HEIGHT");
	assert_non_null(strstr(cp_errmsg(), "CARDPIPE_PHOTO_HEIGHT"));
	config_free(cfg);
}

static void
test_missing_file_is_notfound(void **state)
{
	struct config *cfg = config_new();

	assert_int_equal(config_load_file(cfg, "/nonexistent/cardpipe.conf"), CP_ERR_NOTFOUND);
	config_free(cfg);
}

static void
test_paths_resolve_against_home(void **state)
{
	struct config *cfg = config_new();
	char *p = config_path(cfg, "paths.registry", "/srv/cp");

	assert_string_equal(p, "/srv/cp/registry.db");
	free(p);
	assert_int_equal(config_set(cfg, "paths.registry", "/var/db/r.db", CFG_CLI), 0);
	p = config_path(cfg, "paths.registry", "/srv/cp");
	assert_string_equal(p, "/var/db/r.db");
	free(p);
	config_free(cfg);
}

static void
test_show_output_is_a_loadable_config(void **state)
{
	struct config *cfg = config_new(), *again = config_new();
	FILE *f;

	assert_int_equal(config_set(cfg, "photo.width", "400", CFG_CLI), 0);
	snprintf(conf_path, sizeof(conf_path), "/tmp/cp-test-show.%ld.conf", (long)getpid());
	f = fopen(conf_path, "w");
	config_show(cfg, f, 1);
	fclose(f);
	assert_int_equal(config_load_file(again, conf_path), 0);
	assert_int_equal(config_int(again, "photo.width"), 400);
	assert_string_equal(config_str(again, "banks.cooperating"),
			    config_str(cfg, "banks.cooperating"));
	config_free(cfg);
	config_free(again);
	unlink(conf_path);
}

/* init's cardpipe.conf: every key commented out at its default, so loading it customises
 * nothing and config --show marks nothing; uncommenting a line customises that key. */
static void
test_template_is_all_defaults_and_loadable(void **state)
{
	struct config *cfg = config_new();
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, nkeys = 0;
	FILE *mem = open_memstream(&text, &len);

	config_write_template(mem);
	fclose(mem);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) < 199); /* libinih's line limit */
		nkeys += line[0] == ';' && strstr(line, " = ") != NULL;
	}
	assert_int_equal(nkeys, config_nkeys);
	free(text);
	text = NULL;
	mem = open_memstream(&text, &len);
	config_write_template(mem);
	fclose(mem);
	write_conf(text);
	assert_int_equal(config_load_file(cfg, conf_path), 0);
	for (size_t i = 0; i < config_nkeys; i++)
		assert_int_equal(config_source_of(cfg, config_keys[i].name), CFG_DEFAULT);
	config_free(cfg);

	/* uncomment one key and change it */
	{
		char *at = strstr(text, "\n;min_bytes = 9000\n");

		assert_non_null(at);
		memcpy(at + 1, " min_bytes = 9100", 17);
		write_conf(text);
	}
	cfg = config_new();
	assert_int_equal(config_load_file(cfg, conf_path), 0);
	assert_int_equal(config_int(cfg, "photo.min_bytes"), 9100);
	assert_int_equal(config_source_of(cfg, "photo.min_bytes"), CFG_FILE);
	assert_int_equal(config_source_of(cfg, "photo.max_bytes"), CFG_DEFAULT);
	config_free(cfg);
	free(text);
	unlink(conf_path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_come_from_the_table),
		cmocka_unit_test(test_file_overrides_default),
		cmocka_unit_test(test_env_overrides_file_and_cli_overrides_env),
		cmocka_unit_test(test_unknown_key_in_file_names_the_line),
		cmocka_unit_test(test_bad_values_are_refused),
		cmocka_unit_test(test_bad_env_value_names_the_variable),
		cmocka_unit_test(test_missing_file_is_notfound),
		cmocka_unit_test(test_paths_resolve_against_home),
		cmocka_unit_test(test_show_output_is_a_loadable_config),
		cmocka_unit_test(test_template_is_all_defaults_and_loadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
