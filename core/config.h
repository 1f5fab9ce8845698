/*
 * config.h - cardpipe's configuration.
 *
 * Every key is described once, with its type and default, in config_table.c. Effective
 * values follow the precedence default < file (cardpipe.conf, INI syntax parsed by
 * libinih) < environment (CARDPIPE_<SECTION>_<KEY>, upper case, dots and dashes as '_')
 * < command line (--set section.key=value). An unknown key anywhere is an error.
 *
 * A key may also say which values it allows (a whole-number range, a list of words) and the
 * unit its number counts. config_set() checks every value from every source against its key
 * once, so code that reads a key never checks its range again; only rules that tie two keys
 * together stay with the code that reads them.
 */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

#include <stddef.h>

enum config_type { CFG_STR, CFG_INT, CFG_BOOL, CFG_DOUBLE, CFG_PATH };
enum config_source { CFG_DEFAULT, CFG_FILE, CFG_ENV, CFG_CLI };

struct config_key {
	const char *name; /* "section.key" */
	enum config_type type;
	const char *def;  /* default, as text */
	const char *help; /* one line */
	/* What the key allows; a field left out (zero) allows anything of the type. */
	unsigned char has_min, has_max; /* CFG_INT, CFG_DOUBLE: min and max hold */
	long long min, max;		/* bounds, inclusive */
	const char *words;		/* CFG_STR, CFG_INT: the allowed values, '|'-separated */
	const char *unit;		/* what the number counts: "seconds", "bytes", ... */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

struct config;

/* A configuration holding only the defaults. */
struct config *config_new(void);
void config_free(struct config *cfg);
/* Layer a cardpipe.conf over what is there. A missing file is CP_ERR_NOTFOUND. */
int config_load_file(struct config *cfg, const char *path);
/* Layer CARDPIPE_* environment variables (environ). */
int config_load_env(struct config *cfg);
/* Set one "section.key=value" (source CFG_CLI or as given). A value that is not of the key's
 * type or not among what it allows is CP_ERR_CONFIG naming the key, the value and what is
 * allowed; the value in cfg stays as it was. */
int config_set(struct config *cfg, const char *name, const char *value, enum config_source src);
/* What a key allows, for people: "0..9", "1 or more seconds", "each or batch"; "" when
 * anything of its type is allowed. */
void config_allowed(const struct config_key *k, char *out, size_t outsz);

/* Typed reads; the key must be in the table (a missing key is a programming error). */
const char *config_str(const struct config *cfg, const char *name);
long long config_int(const struct config *cfg, const char *name);
int config_bool(const struct config *cfg, const char *name);
double config_double(const struct config *cfg, const char *name);
/* Path keys: a relative path is resolved against home ("" when not set). Newly allocated. */
char *config_path(const struct config *cfg, const char *name, const char *home);

/* What config_show() prints for a key's value: the value, or a text in its place (a value
 * that may hold a secret). */
typedef const char *(*config_shown_fn)(const char *name, const char *value);
/* Print "key = value  # source" for every key, grouped by section; shown (NULL: every
 * value as it is) picks what is printed of each value. */
void config_show(const struct config *cfg, void *file /* FILE * */, int with_help,
		 config_shown_fn shown);
/* A cardpipe.conf with every key commented out at its default, under its meaning. */
void config_write_template(void *file /* FILE * */);
/* The key table as a pandoc Markdown man page, cardpipe.conf(5). */
void config_reference_markdown(void *file /* FILE * */);

#endif
