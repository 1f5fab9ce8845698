/*
 * stage.h - the stage contract: what every stage is given and what it hands back.
 *
 * struct stage_ctx carries the configuration, CARDPIPE_HOME, the open registry and the
 * actor its audit rows name into every stage; every stage's run function has the shape
 * int stage_<name>_run(const struct stage_ctx *, const struct <name>_opts *,
 * struct stage_result *) and fills struct stage_result: read, done, rejected, held and a
 * one-line note (the run report's figures and the nightly log line). Figures only one
 * stage has stay in its own struct, which its options may point at (opts->detail).
 * Builtins flagged RUN_REGISTRY in cardpipe_main.c's table get the registry from the
 * dispatcher: opened at their first ctx_stage()/ctx_registry(), after their options are
 * checked, with the table's actor set, and closed by main. nightly runs a table of stages
 * through the one stage_run_fn signature (timing, lock, run report row in one place);
 * instant calls the same run functions; stage_over_threshold() is the one reject check.
 */
#ifndef CP_STAGE_H
#define CP_STAGE_H

struct config;
struct registry;

struct stage_ctx {
	struct config *cfg;
	const char *home;     /* CARDPIPE_HOME */
	struct registry *reg; /* open, its actor set */
	const char *actor;    /* who the registry's audit rows name ("nightly", "prepare") */
};

struct stage_result {
	long long read;	    /* records (or cards) the stage took in */
	long long done;	    /* went through */
	long long rejected; /* not done because of their data: the run report's "rejected" */
	long long held;	    /* held with a reason, taken up again by a later run */
	char note[256];	    /* one line: what the stage did, for the run report and the log */
};

/* A run function seen through the table of a runner (nightly, instant). */
typedef int stage_run_fn(const struct stage_ctx *ctx, const void *opts, struct stage_result *res);

/* STAGE_RUN_ANY(prepare, struct prepare_opts) defines stage_prepare_run_any(), a
 * stage_run_fn calling stage_prepare_run() with its own options type. */
#define STAGE_RUN_ANY(name, opts_type)                                                             \
	static int stage_##name##_run_any(const struct stage_ctx *ctx, const void *opts,           \
					  struct stage_result *res)                                \
	{                                                                                          \
		return stage_##name##_run(ctx, (const opts_type *)opts, res);                      \
	}

/* 1 if rejected of read records is a share over general.reject_threshold (exit 1 of
 * ingest, prepare and nightly); 0 when nothing was read. */
int stage_over_threshold(const struct config *cfg, long long read, long long rejected);

#endif
