/* progress.c - throttled progress line on a terminal (see progress.h). */
#include "core/clock.h"
#include "core/progress.h"

#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int progress_on;
/* the line on the screen now (a copy: a stage that returns early leaves nothing dangling);
 * a log line erases it and it is drawn again below */
static struct progress shown;
static int showing;
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;

static void draw(struct progress *p);

/* The log's stderr hook (called under the log's lock, never while draw_lock is held by
 * the same thread: draw does not log). */
static void
around_log_line(int before)
{
	pthread_mutex_lock(&draw_lock);
	if (showing) {
		if (before)
			fputs("\r\033[K", stderr);
		else
			draw(&shown);
	}
	pthread_mutex_unlock(&draw_lock);
}

void
progress_enable(int on)
{
	progress_on = on;
	log_set_stderr_hook(on ? around_log_line : NULL);
}

static void
draw(struct progress *p)
{
	if (p->total > 0)
		fprintf(stderr, "\r%s: %lld/%lld (%lld%%)\033[K", p->what, p->done, p->total,
			p->done * 100 / p->total);
	else
		fprintf(stderr, "\r%s: %lld\033[K", p->what, p->done);
	fflush(stderr);
}

void
progress_start(struct progress *p, const char *what, long long total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->last_ms = 0;
	p->enabled = progress_on;
}

void
progress_update(struct progress *p, long long done)
{
	long long t;

	p->done = done;
	if (!p->enabled)
		return;
	t = cp_mono_ms();
	if (t - p->last_ms < 100)
		return;
	p->last_ms = t;
	pthread_mutex_lock(&draw_lock);
	shown = *p;
	showing = 1;
	draw(p);
	pthread_mutex_unlock(&draw_lock);
}

void
progress_end(struct progress *p)
{
	if (!p->enabled)
		return;
	pthread_mutex_lock(&draw_lock);
	draw(p);
	fputc('\n', stderr);
	showing = 0;
	pthread_mutex_unlock(&draw_lock);
}
