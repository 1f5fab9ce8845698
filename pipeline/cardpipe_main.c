/*
 * cardpipe_main.c - the thin main: global options, configuration, logging, then the
 * builtin named by the first argument (table below; one file per builtin in pipeline/cmd/).
 */
#include "pipeline/cmd/cmd.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "core/suggest.h"
#include "personalization/keys/keystore.h"
#include "pipeline/stages/calendar_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* flags RUN_REGISTRY (cmd.h): the dispatcher gives the builtin the registry with actor set
 * (NULL: the stage names its own, or the command writes nothing) and closes it. */
static const struct builtin {
	const char *name;
	int (*fn)(int, char **, struct cp_ctx *);
	unsigned flags;
	const char *actor;
	const char *summary;
} builtins[] = {
	{"init", cmd_init, 0, NULL, "create CARDPIPE_HOME: registry, spool folders, configuration"},
	{"config", cmd_config, 0, NULL, "show the effective configuration (--show)"},
	{"db", cmd_db, RUN_REGISTRY, NULL,
	 "registry checks: check, verify-audit; migrate --to URL"},
	{"sample", cmd_sample, 0, NULL, "write synthetic application files for every channel"},
	{"ingest", cmd_ingest, RUN_REGISTRY, "ingest",
	 "read application files from the inbox into the registry"},
	{"prepare", cmd_prepare, RUN_REGISTRY, "prepare",
	 "validate, deduplicate, compute due dates, allocate card numbers"},
	{"perso", cmd_perso, RUN_REGISTRY, "perso",
	 "derive card keys and write perso scripts; perso verify FILE"},
	{"render", cmd_render, RUN_REGISTRY, "render",
	 "draw card faces and printer panels; proof sheets"},
	{"produce", cmd_produce, RUN_REGISTRY, NULL /* produce:line<N>, set by the command */,
	 "drive a production line: print, encode, read back, account"},
	{"dispatch", cmd_dispatch, RUN_REGISTRY, "dispatch",
	 "mail manifests, carrier letters, pickup lists, returns"},
	{"reconcile", cmd_reconcile, RUN_REGISTRY, "reconcile",
	 "bank reconciliation, refunds, SLA report; verify FILE"},
	{"status", cmd_status, RUN_REGISTRY, "status",
	 "where a person's application stands; the status feed"},
	{"photo", cmd_photo, RUN_REGISTRY, NULL /* operator:photo, set by the command */,
	 "take a stored photo out (audited); check every stored photo"},
	{"nightly", cmd_nightly, RUN_REGISTRY, "nightly",
	 "run every stage in order under a lock, with a run report"},
	{"instant", cmd_instant, RUN_REGISTRY, "instant",
	 "one application through every stage onto a branch's line"},
	{"keys", cmd_keys, 0, NULL, "key store, ceremonies, check values, diversification"},
	{"calendar", cmd_calendar, 0, NULL,
	 "working days: add-working-days, is-working-day, import NOTICE"},
	{"line", cmd_line, RUN_REGISTRY, NULL, "start, stop or use the emulated production line"},
	{"chip", cmd_chip, 0, NULL, "card stocks: chip profiles, identify the card in a reader"},
};

/* The runs that warn when the working-day calendar runs out soon (nightly does it itself,
 * for its run report). */
static int
watches_calendar(const char *name, int nargs, char **args)
{
	static const char *const runs[] = {"ingest",  "prepare",  "perso",     "render",
					   "produce", "dispatch", "reconcile", "instant"};
	int found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		found |= !strcmp(name, runs[i]);
	for (int i = 1; i < nargs && found; i++)
		if (!strcmp(args[i], "--help") || !strcmp(args[i], "-h"))
			found = 0;
	return found;
}

/* Commands that may open the key store: their process is hardened (no core dump) before
 * the command starts, not only when the store is opened (keystore_open does it too). */
static const char *const key_commands[] = {"perso",   "produce", "reconcile",
					   "nightly", "instant", "keys"};

static const char *const global_options[] = {
	"home", "config", "set", "quiet", "verbose", "log-format", "help", "version", "commands"};

/* One line for an unknown global option, with the closest global option. */
static void
report_global(const char *arg)
{
	char word[64];
	const char *hint;

	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + strspn(arg, "-"), "="),
		 arg + strspn(arg, "-"));
	hint = arg[0] == '-' && arg[1] == '-'
		       ? cp_suggest(word, global_options, ARRAY_SIZE(global_options))
		       : NULL;
	if (hint)
		fprintf(stderr,
			"cardpipe: unknown or incomplete option '%s'; did you mean '--%s'? (see "
			"'cardpipe --help')\n",
			arg, hint);
	else
		fprintf(stderr,
			"cardpipe: unknown or incomplete option '%s' (see 'cardpipe --help')\n",
			arg);
}

/* The builtin called name; an unknown name is reported with the closest command. */
static const struct builtin *
find_builtin(const char *name)
{
	const char *names[ARRAY_SIZE(builtins)];
	const char *hint;

	for (size_t k = 0; k < ARRAY_SIZE(builtins); k++) {
		if (!strcmp(builtins[k].name, name))
			return &builtins[k];
		names[k] = builtins[k].name;
	}
	hint = cp_suggest(name, names, ARRAY_SIZE(builtins));
	if (hint)
		fprintf(stderr,
			"cardpipe: '%s' is not a cardpipe command; did you mean '%s'? (see "
			"'cardpipe "
			"--help')\n",
			name, hint);
	else
		fprintf(stderr, "cardpipe: '%s' is not a cardpipe command; see 'cardpipe --help'\n",
			name);
	return NULL;
}

static int
harden_if_keys(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_commands); i++)
		if (!strcmp(key_commands[i], name))
			return keys_harden_process();
	return 0;
}

static const char usage_text[] =
	"usage: cardpipe [global options] <command> [options]\n"
	"       cardpipe <command> --help, or cardpipe help <command>\n"
	"       cardpipe --version\n"
	"\n"
	"cardpipe turns application files for Beijing third-generation social security cards\n"
	"into personalised, printed, mailed cards, and accounts for every one of them.\n"
	"\n"
	"Commands:\n";

static void
print_usage(FILE *out)
{
	fputs(usage_text, out);
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		fprintf(out, "  %-10s %s\n", builtins[i].name, builtins[i].summary);
	fputs("\nGlobal options (also accepted after the command):\n"
	      "  --home DIR          CARDPIPE_HOME (default: $CARDPIPE_HOME, else "
	      "/var/lib/cardpipe)\n"
	      "  --config FILE       configuration file (default: $CARDPIPE_HOME/cardpipe.conf)\n"
	      "  --set KEY=VALUE     override one configuration key (section.key)\n"
	      "  --quiet, --verbose  fewer or more messages on stderr\n"
	      "  --log-format=FMT    text (default) or json lines on stderr\n"
	      "  --commands          list the command names, one a line\n"
	      "\nExit codes: 0 done; 1 done with rejects over general.reject_threshold;\n"
	      "2 usage or configuration error; 3 failure, nothing committed.\n",
	      out);
}

struct globals {
	const char *home, *config, *log_format;
	const char **sets;
	size_t nsets;
	int quiet, verbose;
};

/* Consume a global option at argv[*i]; 1 if it was one, 0 if not, <0 on error. */
static int
take_global(struct globals *g, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

#define VALUE_OF(opt)                                                                              \
	(strncmp(a, opt "=", sizeof(opt)) == 0	  ? a + sizeof(opt)                                \
	 : (strcmp(a, opt) == 0 && *i + 1 < argc) ? argv[++*i]                                     \
						  : NULL)
	if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
		g->quiet = 1;
	else if (!strcmp(a, "--verbose"))
		g->verbose = 1;
	else if (!strncmp(a, "--home", 6) && (a[6] == '\0' || a[6] == '='))
		g->home = VALUE_OF("--home");
	else if (!strncmp(a, "--config", 8) && (a[8] == '\0' || a[8] == '='))
		g->config = VALUE_OF("--config");
	else if (!strncmp(a, "--log-format", 12) && (a[12] == '\0' || a[12] == '='))
		g->log_format = VALUE_OF("--log-format");
	else if (!strncmp(a, "--set", 5) && (a[5] == '\0' || a[5] == '=')) {
		const char *v = VALUE_OF("--set");

		if (!v)
			return -1;
		g->sets = xrealloc(g->sets, (g->nsets + 1) * sizeof(*g->sets));
		g->sets[g->nsets++] = v;
	} else
		return 0;
#undef VALUE_OF
	if ((!strncmp(a, "--home", 6) && !g->home) || (!strncmp(a, "--config", 8) && !g->config) ||
	    (!strncmp(a, "--log-format", 12) && !g->log_format))
		return -1;
	return 1;
}

static int
setup(struct cp_ctx *ctx, struct globals *g)
{
	const char *home = g->home ? g->home : getenv("CARDPIPE_HOME");
	const char *conf = g->config ? g->config : getenv("CARDPIPE_CONFIG");
	const char *level, *fmt;
	char *default_conf = NULL, *logdir;
	int r;

	ctx->home = xstrdup(home && home[0] ? home : "/var/lib/cardpipe");
	ctx->cfg = config_new();
	if (!conf) {
		default_conf = fs_join(ctx->home, "cardpipe.conf");
		if (fs_exists(default_conf))
			conf = default_conf;
	}
	r = conf ? config_load_file(ctx->cfg, conf) : 0;
	free(default_conf);
	if (r < 0 || (r = config_load_env(ctx->cfg)) < 0)
		return r;
	for (size_t i = 0; i < g->nsets; i++) {
		char *kv = xstrdup(g->sets[i]), *eq = strchr(kv, '=');

		if (!eq) {
			free(kv);
			return cp_err(CP_ERR_USAGE, "--set needs KEY=VALUE, got '%s'", g->sets[i]);
		}
		*eq = '\0';
		r = config_set(ctx->cfg, kv, eq + 1, CFG_CLI);
		free(kv);
		if (r < 0)
			return r;
	}

	if ((r = cp_set_timezone(config_str(ctx->cfg, "general.timezone"))) < 0)
		return r;
	level = config_str(ctx->cfg, "log.level");
	log_set_level(!strcmp(level, "error")	? LOG_ERROR
		      : !strcmp(level, "warn")	? LOG_WARN
		      : !strcmp(level, "debug") ? LOG_DEBUG
						: LOG_INFO);
	if (g->quiet)
		log_set_level(LOG_ERROR);
	if (g->verbose)
		log_set_level(LOG_DEBUG);
	fmt = g->log_format ? g->log_format : config_str(ctx->cfg, "log.format");
	if (strcmp(fmt, "json") && strcmp(fmt, "text"))
		return cp_err(CP_ERR_USAGE, "--log-format must be text or json, not '%s'", fmt);
	log_set_format(!strcmp(fmt, "json") ? LOG_JSON : LOG_TEXT);
	ctx->quiet = g->quiet;
	ctx->verbose = g->verbose;
	progress_enable(isatty(2) && !g->quiet);

	logdir = ctx_path(ctx, "paths.log");
	if (fs_exists(logdir)) {
		char *logfile = fs_join(logdir, "cardpipe.log");

		log_open_file(logfile); /* a log file we cannot open leaves stderr */
		free(logfile);
	}
	free(logdir);
	return 0;
}

int
main(int argc, char **argv)
{
	struct globals g = {0};
	struct cp_ctx ctx = {0};
	const struct builtin *b = NULL;
	char **args;
	static char help_opt[] = "--help";
	int nargs = 0, want_help = 0, i, r, rc;

	umask(077); /* registry, spool and outputs hold personal data (invariant 5) */

	/* global options before the command */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_usage(stdout);
			return EXIT_DONE;
		}
		if (!strcmp(argv[i], "--commands")) { /* for shell completion and the Makefile */
			for (size_t k = 0; k < ARRAY_SIZE(builtins); k++)
				puts(builtins[k].name);
			return EXIT_DONE;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("cardpipe %s\n", CARDPIPE_VERSION);
			return EXIT_DONE;
		}
		if ((r = take_global(&g, argc, argv, &i)) <= 0) {
			report_global(argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	/* `cardpipe help` is --help; `cardpipe help STAGE` is `cardpipe STAGE --help` */
	if (!strcmp(argv[i], "help")) {
		if (i + 1 >= argc) {
			print_usage(stdout);
			return EXIT_DONE;
		}
		if (i + 2 < argc) {
			fprintf(stderr, "cardpipe: 'help' takes one command name\n");
			return EXIT_USAGE;
		}
		want_help = 1;
		i++;
	}
	if (!(b = find_builtin(argv[i])))
		return EXIT_USAGE;
	cmd_set_name(b->name);

	/* the command's own arguments, less any global options among them */
	args = xcalloc((size_t)(argc - i + 2), sizeof(char *));
	args[nargs++] = argv[i];
	if (want_help)
		args[nargs++] = help_opt;
	for (int k = i + 1; k < argc; k++) {
		if (!strcmp(argv[k], "--")) {
			while (k < argc)
				args[nargs++] = argv[k++];
			break;
		}
		if ((r = take_global(&g, argc, argv, &k)) < 0) {
			fprintf(stderr, "cardpipe %s: option '%s' needs a value\n", b->name,
				argv[k]);
			free(args);
			return EXIT_USAGE;
		}
		if (r == 0)
			args[nargs++] = argv[k];
	}
	args[nargs] = NULL;

	{
		char owner[64];

		snprintf(owner, sizeof(owner), "cardpipe %s", b->name);
		run_lock_set_owner(owner);
	}
	if ((r = setup(&ctx, &g)) < 0 || (r = harden_if_keys(b->name)) < 0) {
		rc = cmd_exit(b->name, r);
	} else {
		if (watches_calendar(b->name, nargs, args))
			calendar_watch_warn(ctx.cfg, ctx.home, b->name);
		ctx.flags = b->flags;
		ctx.actor = b->actor;
		rc = b->fn(nargs, args, &ctx);
		ctx_close_registry(&ctx);
	}
	log_close_file();
	config_free(ctx.cfg);
	free(ctx.home);
	free(g.sets);
	free(args);
	return rc;
}
