/* test_escape.c - untrusted text in log lines, reports and JSON: escape.h, json.h, log.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/escape.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_utf8_sequences(void **state)
{
	uint32_t c;

	assert_int_equal(esc_utf8_seq("a", &c), 1);
	assert_int_equal(c, 'a');
	assert_int_equal(esc_utf8_seq("张", &c), 3);
	assert_int_equal(c, 0x5f20);
	assert_int_equal(esc_utf8_seq("\xf0\x9f\x98\x80", &c), 4);
	assert_int_equal(esc_utf8_seq("\xc0\xaf", &c), 0);	   /* overlong '/' */
	assert_int_equal(esc_utf8_seq("\xed\xa0\x80", &c), 0);	   /* surrogate */
	assert_int_equal(esc_utf8_seq("\xf4\x90\x80\x80", &c), 0); /* > U+10FFFF */
	assert_int_equal(esc_utf8_seq("\xe5\xbc", &c), 0);	   /* cut short */
	assert_int_equal(esc_utf8_seq("\x80", &c), 0);
	assert_int_equal(esc_utf8_seq("\xff", &c), 0);
}

static void
test_line_escapes_what_could_forge_a_line(void **state)
{
	char out[256];
	char *d;

	esc_line(out, sizeof(out), "a\nreason:   x\r\t\x1b[2J\x7f");
	assert_string_equal(out, "a\\nreason:   x\\r\\t\\x1b[2J\\x7f");
	esc_line(out, sizeof(out), "caf\xe9-\xff\xfe\xc3(.csv");
	assert_string_equal(out, "caf\\xe9-\\xff\\xfe\\xc3(.csv");
	/* C1 controls, line separators and bidirectional overrides shown, not obeyed */
	esc_line(out, sizeof(out),
		 "x\xc2\x9b"
		 "2J\xe2\x80\xa8y\xe2\x80\xaegpj.exe");
	assert_string_equal(out, "x\\u009b2J\\u2028y\\u202egpj.exe");
	/* Chinese stays as it is; a backslash is doubled, so the literal characters "\n" in a
	 * name never look like an escaped newline */
	esc_line(out, sizeof(out), "北京\\x");
	assert_string_equal(out, "北京\\\\x");
	esc_line(out, sizeof(out), "a\\nb");
	assert_string_equal(out, "a\\\\nb");
	d = esc_line_dup("a\nb");
	assert_string_not_equal(d, out);
	free(d);
	/* the length needed, the output cut but terminated */
	assert_int_equal(esc_line(out, 4, "a\nbc"), 5);
	assert_string_equal(out, "a\\n");
	d = esc_line_dup("\n\n");
	assert_string_equal(d, "\\n\\n");
	free(d);
	assert_int_equal(esc_line(NULL, 0, NULL), 0);
}

static void
test_json_is_valid_utf8_for_any_bytes(void **state)
{
	struct json_writer w;

	json_writer_init(&w);
	json_obj_begin(&w);
	json_kv_str(&w, "msg", "a\n\xff\xc3(\"\\\x7f\xe2\x80\xa8张");
	json_obj_end(&w);
	assert_string_equal(json_writer_str(&w),
			    "{\"msg\":\"a\\n\\\\xff\\\\xc3(\\\"\\\\\\u007f\\u2028张\"}");
	json_writer_release(&w);
	/* C1 controls and bidirectional controls shown as \uXXXX, as esc_line shows them */
	json_writer_init(&w);
	json_obj_begin(&w);
	json_kv_str(&w, "m", "\xc2\x9b\xe2\x80\xae\xe2\x80\x8f\xe2\x81\xa6x\xc2\xa0");
	json_obj_end(&w);
	assert_string_equal(json_writer_str(&w),
			    "{\"m\":\"\\u009b\\u202e\\u200f\\u2066x\xc2\xa0\"}");
	json_writer_release(&w);
	assert_true(esc_unsafe_cp(0x85) && esc_unsafe_cp(0x202a) && esc_unsafe_cp(0x2069));
	assert_false(esc_unsafe_cp(0xa0) || esc_unsafe_cp('a') || esc_unsafe_cp(0x5317));
}

/* The text and JSON lines the logger writes for a hostile name. */
static void
test_log_lines_escape_untrusted_text(void **state)
{
	char path[] = "/tmp/test_escape.XXXXXX", line[512];
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_set_format(LOG_TEXT);
	log_warn("ingest", "file '%s': x", "e\nvil\xff");
	log_set_format(LOG_JSON);
	log_warn("ingest", "file '%s': x", "e\nvil\xff");
	log_set_format(LOG_TEXT);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "cardpipe ingest: warning: file 'e\\nvil\\xff': x\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "\"msg\":\"file 'e\\nvil\\\\xff': x\"}"));
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_sequences),
		cmocka_unit_test(test_line_escapes_what_could_forge_a_line),
		cmocka_unit_test(test_json_is_valid_utf8_for_any_bytes),
		cmocka_unit_test(test_log_lines_escape_untrusted_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
