/*
 * log.h - the one logger of cardpipe.
 *
 * Levels error < warn < info < debug. Human text or JSON lines (one object per line:
 * ts, level, component, msg) on stderr, and the same JSON line appended to the log
 * file under CARDPIPE_HOME/log/ once log_open_file() was called. Never pass key
 * material, PINs or full ID numbers: mask them (core/mask.h) before logging.
 */
#ifndef CP_LOG_H
#define CP_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
enum log_format { LOG_TEXT = 0, LOG_JSON = 1 };

void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/* Called with 1 before a line goes to stderr and with 0 after it (under the log's lock):
 * the progress display (core/progress.h) erases its line and draws it again below. */
void log_set_stderr_hook(void (*hook)(int before));
/* Append JSON lines to path too (created 0600). Returns 0 or a CP_ERR code. */
int log_open_file(const char *path);
void log_close_file(void);

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(comp, ...) log_msg(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_msg(LOG_DEBUG, comp, __VA_ARGS__)

#endif
