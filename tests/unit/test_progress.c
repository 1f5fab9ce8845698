/*
 * test_progress.c - the progress line and log lines on one terminal: a log line erases
 * the progress line first and the progress line is drawn again below it; nothing is
 * drawn when progress is off (not a terminal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run fn with stderr going to a temporary file; out gets what was written. */
static void
capture(void (*fn)(void), char *out, size_t outsz)
{
	char path[] = "/tmp/test_progress.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;
	size_t n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	fclose(f);
	close(fd);
	unlink(path);
}

static void
stage_with_a_log_line(void)
{
	struct progress p;

	progress_start(&p, "produce", 10);
	progress_update(&p, 3);
	log_warn("produce", "card B1 held");
	progress_update(&p, 10);
	progress_end(&p);
	log_warn("produce", "after");
}

static void
test_log_line_erases_and_redraws(void **state)
{
	char out[1024];

	(void)state;
	log_set_format(LOG_TEXT);
	progress_enable(1);
	capture(stage_with_a_log_line, out, sizeof out);
	progress_enable(0);
	assert_string_equal(out, "\rproduce: 3/10 (30%)\033[K"
				 "\r\033[Kcardpipe produce: warning: card B1 held\n"
				 "\rproduce: 3/10 (30%)\033[K"
				 "\rproduce: 10/10 (100%)\033[K\n"
				 "cardpipe produce: warning: after\n");
}

static void
test_off_draws_nothing(void **state)
{
	char out[1024];

	(void)state;
	progress_enable(0);
	capture(stage_with_a_log_line, out, sizeof out);
	assert_string_equal(out, "cardpipe produce: warning: card B1 held\n"
				 "cardpipe produce: warning: after\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_line_erases_and_redraws),
		cmocka_unit_test(test_off_draws_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
