/*
 * stagelock.h - the lock discipline of the stages (docs/locks.md): one lock file per stage
 * under CARDPIPE_HOME/run/lock/ (ingest, prepare, perso, render, dispatch, reconcile; a
 * production line has its own, taken by the produce stage itself). `cardpipe <stage>` takes
 * its stage's lock for the whole command and `nightly` takes each stage's lock while it runs
 * that stage, so two runs of the same stage never overlap, while different stages (and
 * instant issuance, which works on its own card only, on a branch line) run side by side. A second run waits for the
 * holder up to general.lock_wait seconds, naming it, then gives up with CP_ERR_BUSY (exit 3).
 *
 * Once it holds the lock, a stage removes the partial NAME.tmp.PID files that a killed
 * writer (whose pid is gone) left in the stage's output folders.
 */
#ifndef CP_STAGE_STAGELOCK_H
#define CP_STAGE_STAGELOCK_H

#include "core/lock.h"

#include <signal.h>

struct config;

/* Take the lock of stage `name` ("render", ...) and clean the stage's folders.
 * stop (may be NULL) ends a wait early. Release with run_lock_release(). */
int stage_lock_take(const struct config *cfg, const char *home, const char *name,
		    volatile sig_atomic_t *stop, struct run_lock *lk);

/* Remove the dead writers' NAME.tmp.PID files from stage `name`'s output folders;
 * *removed counts them; name NULL: every stage's folders. Safe while others write: a live
 * writer's file is left alone. */
int stage_clean_tmp(const struct config *cfg, const char *home, const char *name, long *removed);

#endif
