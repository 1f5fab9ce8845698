/* progress.c - throttled progress line on a terminal (see progress.h). */
#include "core/progress.h"

#include <stdio.h>
#include <time.h>

static int progress_on;

void
progress_enable(int on)
{
	progress_on = on;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	t = now_ms();
	if (t - p->last_ms < 100)
		return;
	p->last_ms = t;
	draw(p);
}

void
progress_end(struct progress *p)
{
	if (!p->enabled)
		return;
	draw(p);
	fputc('\n', stderr);
}
