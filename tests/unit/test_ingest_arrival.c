/* test_ingest_arrival.c - files still arriving in the inbox (ingest_arrival.h) and names
 * that fit for files named after untrusted names (fname.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/stages/fname.h"
#include "pipeline/stages/ingest_arrival.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/test_arrival.XXXXXX";
static char *real;

static int
setup(void **state)
{
	if (!mkdtemp(dir) || !(real = realpath(dir, NULL)))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int r = system(cmd);

	free(cmd);
	free(real);
	return r == 0 ? 0 : -1;
}

static char *
put(const char *name, const char *text)
{
	char *path = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0600), 0);
	return path;
}

static void
test_open_for_writing_is_seen(void **state)
{
	struct arrival *a = arrival_new(dir, real, 0, 0);
	char *path = put("w.csv", "ref\n");
	const char *why;
	char buf[160];
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(arrival_open_for_write(a, path), 1);
	assert_int_equal(arrival_proc_writing(a, "w.csv"), 1);
	assert_int_equal(arrival_ready(a, "w.csv", buf, sizeof(buf), &why), ARRIVAL_NOT_YET);
	assert_non_null(strstr(why, "open for writing"));
	close(fd);
	assert_int_equal(arrival_open_for_write(a, path), 0);
	arrival_free(a);
	/* a fresh scan: nobody writes it any more; a reader is no writer */
	a = arrival_new(dir, real, 0, 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(arrival_proc_writing(a, "w.csv"), 0);
	assert_int_equal(arrival_ready(a, "w.csv", buf, sizeof(buf), &why), ARRIVAL_READY);
	close(fd);
	arrival_free(a);
	free(path);
}

/* Another process, as an SFTP server would be, holding the file open for writing. */
static void
test_other_process_writing(void **state)
{
	struct arrival *a = arrival_new(dir, real, 0, 0);
	char *path = put("o.xml", "<x");
	int go[2], done[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY | O_APPEND);

		(void)!write(go[1], "x", 1);
		(void)!read(done[0], &c, 1);
		close(fd);
		_exit(0);
	}
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(arrival_open_for_write(a, path), 1);
	assert_int_equal(arrival_proc_writing(a, "o.xml"), 1);
	assert_int_equal(write(done[1], "x", 1), 1);
	waitpid(pid, NULL, 0);
	assert_int_equal(arrival_open_for_write(a, path), 0);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	arrival_free(a);
	free(path);
}

static void
test_settle_time_and_done_marker(void **state)
{
	struct arrival *a = arrival_new(dir, real, 3600, 0);
	char *path = put("s.csv", "ref\n"), *marker;
	const char *why;
	char buf[160];

	assert_int_equal(arrival_ready(a, "s.csv", buf, sizeof(buf), &why), ARRIVAL_SETTLING);
	assert_non_null(strstr(why, "changed 0 s ago"));
	assert_true(arrival_wait_ms(a) > 3590 * 1000 && arrival_wait_ms(a) <= 3600 * 1000);
	arrival_again(a);
	assert_int_equal(arrival_wait_ms(a), 0);
	arrival_free(a);

	a = arrival_new(dir, real, 0, 1);
	assert_int_equal(arrival_ready(a, "s.csv", buf, sizeof(buf), &why), ARRIVAL_NOT_YET);
	assert_string_equal(why, "waiting for its done marker 's.csv.done'");
	marker = put("s.csv.done", "");
	assert_int_equal(arrival_ready(a, "s.csv", buf, sizeof(buf), &why), ARRIVAL_READY);
	arrival_free(a);
	free(marker);
	free(path);
}

static void
test_names_that_fit(void **state)
{
	char longname[NAME_MAX + 1], *n, *m;

	n = fname_fit("batch-0001.xml.gz", 200);
	assert_string_equal(n, "batch-0001.xml.gz");
	free(n);
	n = fname_fit("北京-申领.csv", 200);
	assert_string_equal(n, "北京-申领.csv");
	free(n);
	n = fname_fit(NULL, 200);
	assert_string_equal(n, "unnamed");
	free(n);

	/* a name the stale-tmp sweep would take for a dead writer's file never survives as
	 * is: the sweep would delete the quarantined evidence */
	n = fname_fit("pay.tmp.9999999", 200);
	assert_string_not_equal(n, "pay.tmp.9999999");
	assert_int_equal(fs_tmp_writer_pid(n), 0);
	free(n);
	n = fname_fit("a.tmp.+5", 200);
	assert_int_equal(fs_tmp_writer_pid(n), 0);
	free(n);
	n = fname_fit("a.tmp.x", 200);
	assert_string_equal(n, "a.tmp.x");
	free(n);

	/* unsafe: '_' in place, and a hash of the original, so "a\nb" and "a_b" differ */
	n = fname_fit("-a\nb\xff.csv", 200);
	assert_int_equal(strncmp(n, "_a_b_~", 6), 0);
	assert_int_equal(strlen(n), 6 + 16 + 4);
	assert_string_equal(n + 22, ".csv"); /* the extension kept last */
	m = fname_fit("-a\rb\xfe.csv", 200);
	assert_string_not_equal(n, m);
	free(m);
	free(n);
	n = fname_fit(".hidden", 200);
	assert_int_equal(n[0], '_');
	free(n);

	/* too long: cut to fit, at a character boundary, distinct by the hash */
	memset(longname, 'a', NAME_MAX);
	longname[NAME_MAX] = '\0';
	n = fname_fit(longname, 200);
	assert_int_equal(strlen(n), 200);
	assert_int_equal(n[183], '~');
	memcpy(longname + NAME_MAX - 4, ".xml", 4);
	free(n);
	n = fname_fit(longname, 200);
	assert_int_equal(strlen(n), 200);
	assert_int_equal(n[179], '~');
	assert_string_equal(n + 196, ".xml");
	longname[0] = 'b';
	m = fname_fit(longname, 200);
	assert_string_not_equal(n, m);
	free(m);
	free(n);
	for (int i = 0; i + 3 <= NAME_MAX; i += 3)
		memcpy(longname + i, "张", 3);
	longname[NAME_MAX - NAME_MAX % 3] = '\0';
	n = fname_fit(longname, 100);
	assert_true(strlen(n) <= 100);
	assert_int_equal((strchr(n, '~') - n) % 3, 0); /* whole characters only */
	free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_for_writing_is_seen),
		cmocka_unit_test(test_other_process_writing),
		cmocka_unit_test(test_settle_time_and_done_marker),
		cmocka_unit_test(test_names_that_fit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
