/* stagelock.c - per-stage run locks and the cleanup of killed writers' files (stagelock.h). */
#include "pipeline/stages/stagelock.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where each stage writes (a configured folder, and a sub-folder of it or NULL). */
static const struct {
	const char *stage, *key, *sub;
} stage_dirs[] = {
	{"ingest", "paths.quarantine", NULL},	 {"ingest", "paths.archive", NULL},
	{"ingest", "paths.spool", "photos"},	 {"prepare", "paths.out", "rejects"},
	{"perso", "paths.spool", "perso"},	 {"render", "paths.spool", "faces"},
	{"render", "paths.out", "proof"},	 {"dispatch", "paths.out", "dispatch"},
	{"reconcile", "paths.out", "reconcile"},
};

int
stage_clean_tmp(const struct config *cfg, const char *home, const char *name, long *removed)
{
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(stage_dirs) && r == 0; i++) {
		char *base, *dir;

		if (name && strcmp(stage_dirs[i].stage, name))
			continue;
		base = config_path(cfg, stage_dirs[i].key, home);
		dir = stage_dirs[i].sub ? fs_join(base, stage_dirs[i].sub) : xstrdup(base);
		r = fs_clean_stale_tmp(dir, removed);
		free(dir);
		free(base);
	}
	return r;
}

int
stage_lock_take(const struct config *cfg, const char *home, const char *name,
		volatile sig_atomic_t *stop, struct run_lock *lk)
{
	char *dir = xasprintf("%s/run/lock", home), *path = NULL, *what = NULL;
	long long wait_s = config_int(cfg, "general.lock_wait");
	long removed = 0;
	int r;

	lk->fd = -1;
	path = xasprintf("%s/%s.lock", dir, name);
	what = xasprintf("the %s stage", name);
	if ((r = fs_mkdirs(dir, 0700)) < 0 ||
	    (r = run_lock_wait(lk, path, what, (long)wait_s, stop)) < 0)
		goto out;
	if ((r = stage_clean_tmp(cfg, home, name, &removed)) < 0) {
		run_lock_release(lk);
		goto out;
	}
	if (removed)
		log_info(name, "removed %ld partial file(s) left by an interrupted run", removed);
out:
	free(dir);
	free(path);
	free(what);
	return r;
}
