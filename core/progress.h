/*
 * progress.h - a one-line progress display on stderr for long stages.
 * Shown only when stderr is a terminal and the run is not --quiet; silent otherwise
 * (cron, CI, pipes). Redrawn at most ten times a second. Every long stage (ingest,
 * prepare, perso, render, produce, dispatch) reports n/total through it; a log line
 * written meanwhile erases the progress line first and the line is drawn again below it
 * (the log's stderr hook), so the two never run into each other.
 */
#ifndef CP_PROGRESS_H
#define CP_PROGRESS_H

struct progress {
	const char *what;
	long long total, done;
	long long last_ms;
	int enabled;
};

void progress_enable(int on); /* set once by main: isatty(2) && !quiet */
void progress_start(struct progress *p, const char *what, long long total);
void progress_update(struct progress *p, long long done);
void progress_end(struct progress *p); /* the final count, then a newline */

#endif
