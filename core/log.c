/* log.c - levels, text or JSON lines, stderr plus an optional log file (see log.h). */
#include "core/log.h"

#include "core/err.h"
#include "core/escape.h"
#include "core/json.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_TEXT;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

void
log_set_format(enum log_format format)
{
	cur_format = format;
}

static void (*stderr_hook)(int before);

void
log_set_stderr_hook(void (*hook)(int before))
{
	stderr_hook = hook;
}

int
log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return cp_err(CP_ERR_IO, "cannot open log file '%s': %s", path, strerror(errno));
	log_close_file();
	log_file = fdopen(fd, "a");
	if (!log_file) {
		close(fd);
		return cp_err(CP_ERR_IO, "cannot open log file '%s'", path);
	}
	return 0;
}

void
log_close_file(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

static void
json_line(struct json_writer *w, const char *ts, enum log_level level, const char *component,
	  const char *msg)
{
	json_obj_begin(w);
	json_kv_str(w, "ts", ts);
	json_kv_str(w, "level", level_names[level]);
	json_kv_str(w, "component", component);
	json_kv_str(w, "msg", msg);
	json_obj_end(w);
}

/* The message formatted whole, however long (vasprintf; out of memory aborts). */
static char *
format_msg(const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	return msg;
}

void
log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
	/* every part grows to what the message needs: a log line is never cut */
	char *msg, *text = NULL, ts[40];
	struct json_writer line;
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level > cur_level && !log_file)
		return;
	va_start(ap, fmt);
	msg = format_msg(fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);
	/* untrusted text in msg (file names, echoed values) cannot end the line or hold
	 * terminal controls: escaped here, where it is written, whatever the caller passed */
	json_writer_init(&line);
	json_line(&line, ts, level, component, msg);
	if (cur_format == LOG_TEXT && level <= cur_level)
		text = esc_line_dup(msg);

	pthread_mutex_lock(&log_lock);
	if (level <= cur_level) {
		if (stderr_hook)
			stderr_hook(1);
		if (cur_format == LOG_JSON)
			fprintf(stderr, "%s\n", json_writer_str(&line));
		else
			fprintf(stderr, "cardpipe %s: %s%s%s\n", component,
				level == LOG_ERROR  ? "error: "
				: level == LOG_WARN ? "warning: "
						    : "",
				text ? text : "", "");
		if (stderr_hook)
			stderr_hook(0);
	}
	if (log_file && level <= LOG_INFO) {
		fprintf(log_file, "%s\n", json_writer_str(&line));
		fflush(log_file);
	}
	pthread_mutex_unlock(&log_lock);
	json_writer_release(&line);
	free(text);
	free(msg);
}
