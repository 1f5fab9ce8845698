/*
 * reg_run.h - the run table: one row per nightly or instant run, for the run report and
 * for operators asking what happened last night.
 */
#ifndef CP_REG_RUN_H
#define CP_REG_RUN_H

struct registry;

/* Start a run of kind ("nightly", "instant"); *id is its row id. Committed at once. */
int reg_run_start(struct registry *reg, const char *kind, long long *id);
/* End it with status "done" or "failed" and a one-line summary. Committed at once. */
int reg_run_end(struct registry *reg, long long id, const char *status, const char *summary);
/* Runs left "running" by a process that died: mark them failed ("interrupted"). */
int reg_run_close_interrupted(struct registry *reg, const char *kind, long long *n);

#endif
