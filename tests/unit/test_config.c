/* test_config.c - configuration precedence: default < file < environment < command line, and
 * the key table's ranges, words and units, checked for every source. */
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

/* Where a key's value came from, as `cardpipe config show` prints it: config_show() puts
 * "; from file|environment|command line" on the line above a key that is not at its
 * default. */
static enum config_source
source_of(const struct config *cfg, const char *name)
{
	static const char *const from[] = {"; from file\n", "; from environment\n",
					   "; from command line\n"};
	const char *dot = strchr(name, '.');
	char *text = NULL, head[80], line[80], *at, *prev;
	size_t len = 0;
	enum config_source src = CFG_DEFAULT;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	assert_non_null(dot);
	config_show(cfg, mem, 0, NULL);
	fclose(mem);
	snprintf(head, sizeof(head), "[%.*s]\n", (int)(dot - name), name);
	snprintf(line, sizeof(line), "\n%s = ", dot + 1);
	at = strstr(text, head);
	assert_non_null(at);
	at = strstr(at, line);
	assert_non_null(at);
	for (size_t i = 0; i < 3; i++) {
		prev = at + 1 - strlen(from[i]);
		if (prev >= text && !strncmp(prev, from[i], strlen(from[i])))
			src = (enum config_source)(CFG_FILE + i);
	}
	free(text);
	return src;
}

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
	assert_int_equal(source_of(cfg, "photo.width"), CFG_DEFAULT);
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
	assert_int_equal(source_of(cfg, "photo.width"), CFG_FILE);
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
	assert_int_equal(source_of(cfg, "photo.width"), CFG_ENV);
	assert_int_equal(config_int(cfg, "photo.height"), 500);

	assert_int_equal(config_set(cfg, "photo.width", "420", CFG_CLI), 0);
	assert_int_equal(config_int(cfg, "photo.width"), 420);
	assert_int_equal(source_of(cfg, "photo.width"), CFG_CLI);
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
	config_show(cfg, f, 1, NULL);
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
		assert_int_equal(source_of(cfg, config_keys[i].name), CFG_DEFAULT);
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
	assert_int_equal(source_of(cfg, "photo.min_bytes"), CFG_FILE);
	assert_int_equal(source_of(cfg, "photo.max_bytes"), CFG_DEFAULT);
	config_free(cfg);
	free(text);
	unlink(conf_path);
}

static const struct config_key *
key(const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].name, name))
			return &config_keys[i];
	fail_msg("no key %s", name);
	return NULL;
}

/* cp_errmsg() holds every needle */
static void
assert_msg_has(const char *a, const char *b, const char *c)
{
	const char *m = cp_errmsg();

	if (!strstr(m, a) || !strstr(m, b) || (c && !strstr(m, c)))
		fail_msg("'%s' lacks '%s' / '%s' / '%s'", m, a, b, c ? c : "");
}

static void
test_range_refuses_below_min_and_above_max(void **state)
{
	struct config *cfg = config_new();

	assert_int_equal(config_set(cfg, "render.png_level", "10", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("render.png_level: '10' is out of range", "expected 0..9", "--set");
	assert_int_equal(config_set(cfg, "render.png_level", "-1", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_int(cfg, "render.png_level"), 1); /* unchanged */
	assert_int_equal(config_set(cfg, "render.png_level", "0", CFG_CLI), 0);
	assert_int_equal(config_set(cfg, "render.png_level", "9", CFG_CLI), 0);
	assert_int_equal(config_int(cfg, "render.png_level"), 9);

	/* a unit is part of what is allowed */
	assert_int_equal(config_set(cfg, "general.lock_wait", "86401", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("general.lock_wait: '86401'", "expected 0..86400 seconds", NULL);
	assert_int_equal(config_set(cfg, "general.lock_wait", "86400", CFG_CLI), 0);

	/* a lower bound only */
	assert_int_equal(config_set(cfg, "dispatch.bag_size", "0", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("dispatch.bag_size: '0'", "expected 1 or more items", NULL);
	assert_int_equal(config_set(cfg, "dispatch.bag_size", "1", CFG_CLI), 0);
	assert_int_equal(config_set(cfg, "dispatch.bag_size", "9223372036854775807", CFG_CLI), 0);
	assert_int_equal(config_set(cfg, "reconcile.max_refund_fen", "1000000000000", CFG_CLI),
			 CP_ERR_CONFIG);
	assert_msg_has("expected 0..999999999999 fen", "reconcile.max_refund_fen", NULL);
	/* the type is still checked first, in its text from before the ranges (no "--set: ") */
	assert_int_equal(config_set(cfg, "render.png_level", "9x", CFG_CLI), CP_ERR_CONFIG);
	assert_string_equal(cp_errmsg(), "render.png_level: '9x' is not a whole number");
	assert_int_equal(config_set(cfg, "no.such", "1", CFG_CLI), CP_ERR_CONFIG);
	assert_string_equal(cp_errmsg(), "unknown configuration key 'no.such'");
	config_free(cfg);
}

static void
test_words_refuse_what_is_not_listed(void **state)
{
	struct config *cfg = config_new();

	assert_int_equal(config_set(cfg, "render.sync", "sometimes", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("render.sync: 'sometimes' is not allowed", "expected each or batch", NULL);
	assert_int_equal(config_set(cfg, "render.sync", "Each", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_set(cfg, "render.sync", "eac", CFG_CLI), CP_ERR_CONFIG);
	assert_int_equal(config_set(cfg, "render.sync", "each", CFG_CLI), 0);
	assert_string_equal(config_str(cfg, "render.sync"), "each");
	assert_int_equal(config_set(cfg, "render.png_filter", "fast", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("expected none, sub, up, avg, paeth or all", "render.png_filter", NULL);
	assert_int_equal(config_set(cfg, "render.png_filter", "paeth", CFG_CLI), 0);
	assert_int_equal(config_set(cfg, "dispatch.csv_encoding", "latin1", CFG_CLI),
			 CP_ERR_CONFIG);
	assert_string_equal(config_str(cfg, "dispatch.csv_encoding"), "utf-8");

	/* whole-number words compare by value */
	assert_int_equal(config_set(cfg, "printer.levels", "48", CFG_CLI), CP_ERR_CONFIG);
	assert_msg_has("printer.levels: '48' is not allowed", "expected 32, 64 or 128", NULL);
	assert_int_equal(config_set(cfg, "printer.levels", "064", CFG_CLI), 0);
	assert_int_equal(config_int(cfg, "printer.levels"), 64);
	assert_int_equal(config_set(cfg, "printer.levels", "32", CFG_CLI), 0);
	config_free(cfg);
}

/* the same check for the file (file:line) and the environment (its variable) */
static void
test_constraints_name_the_source(void **state)
{
	struct config *cfg = config_new();

	write_conf("[render]\nbatch = 16\npng_level = 12\n");
	assert_int_equal(config_load_file(cfg, conf_path), CP_ERR_CONFIG);
	assert_msg_has(":3: render.png_level: '12' is out of range", conf_path, "0..9");
	write_conf("[photo]\non_failure = ignore\n");
	assert_int_equal(config_load_file(cfg, conf_path), CP_ERR_CONFIG);
	assert_msg_has(":2: photo.on_failure: 'ignore'", "expected reject or warn", NULL);
	unlink(conf_path);

	setenv("CARDPIPE_PERSO_PIN_TRIES", "16", 1);
	assert_int_equal(config_load_env(cfg), CP_ERR_CONFIG);
	unsetenv("CARDPIPE_PERSO_PIN_TRIES");
	assert_msg_has("environment CARDPIPE_PERSO_PIN_TRIES: perso.pin_tries: '16'",
		       "expected 1..15 tries", NULL);
	assert_int_equal(config_int(cfg, "perso.pin_tries"), 6);
	config_free(cfg);
}

static void
test_allowed_texts(void **state)
{
	char t[256];

	config_allowed(key("render.png_level"), t, sizeof(t));
	assert_string_equal(t, "0..9");
	config_allowed(key("ingest.settle_seconds"), t, sizeof(t));
	assert_string_equal(t, "0 or more seconds");
	config_allowed(key("log.format"), t, sizeof(t));
	assert_string_equal(t, "text or json");
	config_allowed(key("printer.ribbon"), t, sizeof(t));
	assert_string_equal(t, "ymcko, ymckok, ko or k");
	config_allowed(key("ingest.max_file_bytes"), t, sizeof(t)); /* a unit, no bound */
	assert_string_equal(t, "");
	config_allowed(key("general.bureau_name"), t, sizeof(t));
	assert_string_equal(t, "");
	config_allowed(key("printer.ribbon"), t, 8); /* cut, still a string */
	assert_int_equal(strlen(t), 7);
}

/* Every key of the table: its default is allowed, its bounds and words make sense for its
 * type, and every listed word is itself allowed. */
static void
test_every_default_is_inside_its_key(void **state)
{
	size_t nranged = 0, nwords = 0;
	struct config *cfg = config_new();

	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		int numeric = k->type == CFG_INT || k->type == CFG_DOUBLE;

		if (config_set(cfg, k->name, k->def, CFG_DEFAULT) < 0)
			fail_msg("%s: default '%s': %s", k->name, k->def, cp_errmsg());
		if ((k->has_min || k->has_max) && !numeric)
			fail_msg("%s: a range on a key that is not a number", k->name);
		if (k->unit && !numeric)
			fail_msg("%s: a unit on a key that is not a number", k->name);
		if (k->has_min && k->has_max && k->min > k->max)
			fail_msg("%s: min %lld above max %lld", k->name, k->min, k->max);
		if (k->has_min && k->type == CFG_INT && strtoll(k->def, NULL, 10) < k->min)
			fail_msg("%s: default below %lld", k->name, k->min);
		if (k->has_max && k->type == CFG_INT && strtoll(k->def, NULL, 10) > k->max)
			fail_msg("%s: default above %lld", k->name, k->max);
		nranged += k->has_min || k->has_max;
		if (!k->words)
			continue;
		nwords++;
		if (k->type != CFG_STR && k->type != CFG_INT)
			fail_msg("%s: words on a key that is neither text nor a whole number",
				 k->name);
		if (k->has_min || k->has_max)
			fail_msg("%s: both words and a range", k->name);
		for (const char *w = k->words;;) {
			size_t n = strcspn(w, "|");
			char word[64];

			if (n == 0 || n >= sizeof(word))
				fail_msg("%s: an empty or long word in '%s'", k->name, k->words);
			snprintf(word, sizeof(word), "%.*s", (int)n, w);
			if (config_set(cfg, k->name, word, CFG_DEFAULT) < 0)
				fail_msg("%s: its own word '%s' is refused: %s", k->name, word,
					 cp_errmsg());
			if (!w[n])
				break;
			w += n + 1;
		}
	}
	config_free(cfg);
	assert_true(nranged >= 30);
	assert_true(nwords >= 10);
}

/* --describe, the template and the manual page say what each key allows */
static void
test_listings_show_what_is_allowed(void **state)
{
	struct config *cfg = config_new();
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	config_show(cfg, mem, 1, NULL);
	fclose(mem);
	assert_non_null(strstr(text, "# allowed: 0..9\npng_level = 1\n"));
	assert_non_null(strstr(text, "# allowed: each or batch\nsync = batch\n"));
	assert_non_null(strstr(text, "# unit: bytes\nmax_file_bytes = 2147483648\n"));
	free(text);
	mem = open_memstream(&text, &len);
	config_show(cfg, mem, 0, NULL); /* without --describe: only keys and values */
	fclose(mem);
	assert_null(strstr(text, "allowed"));
	free(text);
	mem = open_memstream(&text, &len);
	config_write_template(mem);
	fclose(mem);
	assert_non_null(strstr(text, "# allowed: 1..15 tries\n;pin_tries = 6\n"));
	free(text);
	mem = open_memstream(&text, &len);
	config_reference_markdown(mem);
	fclose(mem);
	assert_non_null(strstr(text, "\n\n    Allowed\\: 0\\.\\.86400 seconds"));
	assert_non_null(strstr(text, "**lock\\_wait** (whole number, default `1800`)") ||
			strstr(text, "**lock_wait** (whole number, default `1800`)"));
	free(text);
	config_free(cfg);
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
		cmocka_unit_test(test_range_refuses_below_min_and_above_max),
		cmocka_unit_test(test_words_refuse_what_is_not_listed),
		cmocka_unit_test(test_constraints_name_the_source),
		cmocka_unit_test(test_allowed_texts),
		cmocka_unit_test(test_every_default_is_inside_its_key),
		cmocka_unit_test(test_listings_show_what_is_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
