/* test_json.c - the JSON writer and the log lines built with it never truncate: long
 * values, multi-byte characters at every offset, whole log messages of any length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* n bytes of "a张😀é" repeated, cut at a character boundary at or below n */
static char *
multibyte_text(size_t n)
{
	static const char *const parts[] = {"a", "张", "😀", "é"};
	char *s = xmalloc(n + 1);
	size_t len = 0;

	for (size_t i = 0;; i++) {
		const char *p = parts[i % 4];
		size_t l = strlen(p);

		if (len + l > n)
			break;
		memcpy(s + len, p, l);
		len += l;
	}
	s[len] = '\0';
	return s;
}

/* A 100 KB value of multi-byte characters comes out whole. */
static void
test_writer_100k_value_whole(void **state)
{
	char *v = multibyte_text(100 * 1024), *want;
	struct json_writer w;

	(void)state;
	json_writer_init(&w);
	json_obj_begin(&w);
	json_kv_str(&w, "msg", v);
	json_kv_int(&w, "n", 7);
	json_obj_end(&w);
	want = xasprintf("{\"msg\":\"%s\",\"n\":7}", v);
	assert_int_equal(strlen(json_writer_str(&w)), strlen(want));
	assert_string_equal(json_writer_str(&w), want);
	json_writer_release(&w);
	assert_string_equal(json_writer_str(&w), "");
	free(want);
	free(v);
}

/* 2-, 3- and 4-byte characters at every offset around the sizes the writer's buffer passes
 * through as it grows (and the old fixed 2048/4608/12544-byte lines): always whole. */
static void
test_writer_multibyte_at_every_boundary(void **state)
{
	static const char *const chars[] = {"é", "张", "😀"};
	struct json_writer w;

	(void)state;
	for (size_t pad = 0; pad < 5000; pad++) {
		for (size_t c = 0; c < 3; c++) {
			char *v = xmalloc(pad + 8), *want;

			memset(v, 'x', pad);
			strcpy(v + pad, chars[c]);
			json_writer_init(&w);
			json_obj_begin(&w);
			json_kv_str(&w, "m", v);
			json_obj_end(&w);
			want = xasprintf("{\"m\":\"%s\"}", v);
			if (strcmp(json_writer_str(&w), want) != 0)
				fail_msg("pad %zu, character %s: not whole", pad, chars[c]);
			json_writer_release(&w);
			free(want);
			free(v);
		}
	}
}

/* Escapes grow the text too: a value of 20000 control characters becomes 120000 bytes. */
static void
test_writer_escapes_grow(void **state)
{
	char *v = xmalloc(20001);
	struct json_writer w;

	(void)state;
	memset(v, '\x01', 20000);
	v[20000] = '\0';
	json_writer_init(&w);
	json_kv_str(&w, "k", v);
	assert_int_equal(strlen(json_writer_str(&w)), 4 + 20000 * 6 + 2);
	assert_string_equal(json_writer_str(&w) + strlen(json_writer_str(&w)) - 7, "\\u0001\"");
	json_writer_release(&w);
	free(v);
}

/* Every log line goes out whole, as one valid JSON line, however long the message. */
static void
test_log_long_message_is_whole(void **state)
{
	char path[] = "/tmp/test_json.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *msg = multibyte_text(20000), *want, *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_set_format(LOG_JSON);
	log_warn("test", "%s", msg);
	log_set_format(LOG_TEXT);
	log_warn("test", "%s", msg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	want = xasprintf("\"msg\":\"%s\"}\n", msg);
	n = getline(&line, &cap, f);
	assert_true(n > 0);
	assert_non_null(strstr(line, want));
	free(want);
	want = xasprintf("cardpipe test: warning: %s\n", msg);
	n = getline(&line, &cap, f);
	assert_true(n > 0);
	assert_string_equal(line, want);
	free(want);
	free(line);
	free(msg);
	fclose(f);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_100k_value_whole),
		cmocka_unit_test(test_writer_multibyte_at_every_boundary),
		cmocka_unit_test(test_writer_escapes_grow),
		cmocka_unit_test(test_log_long_message_is_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
