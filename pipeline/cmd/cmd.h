/*
 * cmd.h - the `cardpipe <stage>` builtins (git-builtin style): one cmd_<name>() per file
 * in pipeline/cmd/, listed in the table in cardpipe_main.c. A builtin parses its own
 * options (getopt_long; --help prints its usage to stdout and returns 0), does its work
 * through the library (pipeline/stages/, formats/, personalization/, printer/), and
 * returns an exit code. A builtin flagged RUN_REGISTRY in the table gets the registry
 * from the dispatcher (ctx_registry(), ctx_stage()): opened when the builtin first asks,
 * after its options are checked (so --help and a usage error never need a home), with
 * the table's actor set, and closed by main after the builtin returns (or earlier by the
 * builtin with ctx_close_registry(), e.g. while it still holds its stage lock).
 */
#ifndef CP_CMD_H
#define CP_CMD_H

#include "pipeline/cmd/exitcode.h"
#include "core/config.h"
#include "pipeline/stages/stage.h"

#include <getopt.h>

struct registry;

/* Builtin table flags (cardpipe_main.c). */
#define RUN_REGISTRY (1u << 0) /* uses the registry: ctx_registry(), closed by main */

struct cp_ctx {
	struct config *cfg;
	char *home; /* CARDPIPE_HOME */
	int quiet, verbose;
	unsigned flags;	      /* the builtin's table flags */
	const char *actor;    /* the table's actor for the registry (NULL: none set); a builtin
				 may name another before its first ctx_registry() */
	struct registry *reg; /* RUN_REGISTRY: open once ctx_registry() succeeded */
};

/* Map a CP_ERR code to an exit code (usage/config -> 2, other failures -> 3), printing
 * the error detail first. Returns EXIT_DONE for r >= 0. */
int cmd_exit(const char *cmd, int r);
/* The registry of ctx->home for a RUN_REGISTRY builtin: opened on the first call, with
 * ctx->actor set; fails with a hint to run `cardpipe init` if there is none. Main closes
 * it after the builtin returns. */
int ctx_registry(struct cp_ctx *ctx, struct registry **reg);
/* Close the builtin's registry now (closing seals pending rows, so a stage closes it
 * before it releases its stage lock); main's close is then a no-op. The registry and a
 * stage context holding it must not be used after. */
void ctx_close_registry(struct cp_ctx *ctx);
/* ctx_registry(), then the stage context of the builtin: configuration, home, registry,
 * actor. */
int ctx_stage(struct cp_ctx *ctx, struct stage_ctx *sc);
/* Load the home's audit key (key store or audit key file) for the registries this process
 * opens (docs/audit.md); ctx_registry() calls it. */
int ctx_audit_key(struct cp_ctx *ctx);
/* A path from the configuration, resolved against CARDPIPE_HOME. Newly allocated. */
/* Open this home's registry: registry.url, or the SQLite file paths.registry (which must
 * exist unless create). */
int ctx_open_registry(struct cp_ctx *ctx, int create, struct registry **reg);
char *ctx_path(struct cp_ctx *ctx, const char *key);
/* Print usage text to stdout for --help, or to stderr for a usage error (nothing more when
 * cmd_getopt() has already said what was wrong). */
int cmd_usage(const char *usage, int is_error);
/* The name of the running builtin ("perso"), for messages; set by main. */
void cmd_set_name(const char *name);
/* getopt_long() that reports a bad option on one line of its own: the unknown option and
 * the closest long option ("did you mean '--line'?"), an ambiguous abbreviation with its
 * candidates, or an option missing its value. Returns what getopt_long returns ('?' for
 * every such error; the caller answers with cmd_usage(usage, 1)). */
int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       int *longindex);
/* Report an unknown subcommand (what = "subcommand") on one line with the closest of cands;
 * returns EXIT_USAGE. */
int cmd_unknown_word(const char *what, const char *word, const char *const *cands, size_t n);

int cmd_init(int argc, char **argv, struct cp_ctx *ctx);
int cmd_config(int argc, char **argv, struct cp_ctx *ctx);
int cmd_db(int argc, char **argv, struct cp_ctx *ctx);
int cmd_sample(int argc, char **argv, struct cp_ctx *ctx);
int cmd_ingest(int argc, char **argv, struct cp_ctx *ctx);
int cmd_prepare(int argc, char **argv, struct cp_ctx *ctx);
int cmd_perso(int argc, char **argv, struct cp_ctx *ctx);
int cmd_render(int argc, char **argv, struct cp_ctx *ctx);
int cmd_produce(int argc, char **argv, struct cp_ctx *ctx);
int cmd_dispatch(int argc, char **argv, struct cp_ctx *ctx);
int cmd_reconcile(int argc, char **argv, struct cp_ctx *ctx);
int cmd_status(int argc, char **argv, struct cp_ctx *ctx);
int cmd_photo(int argc, char **argv, struct cp_ctx *ctx);
int cmd_nightly(int argc, char **argv, struct cp_ctx *ctx);
int cmd_instant(int argc, char **argv, struct cp_ctx *ctx);
int cmd_keys(int argc, char **argv, struct cp_ctx *ctx);
int cmd_calendar(int argc, char **argv, struct cp_ctx *ctx);
int cmd_line(int argc, char **argv, struct cp_ctx *ctx);
int cmd_chip(int argc, char **argv, struct cp_ctx *ctx);

#endif
