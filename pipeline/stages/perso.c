/*
 * perso.c - the perso stage (see perso.h).
 */
#include "pipeline/stages/perso.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/mem.h"
#include "personalization/chip/bank_profile.h"
#include "personalization/chip/pboc_data.h"
#include "personalization/chip/script.h"
#include "personalization/crypto/secmem.h"
#include "personalization/emv/issuer.h"
#include "personalization/keys/keystore.h"
#include "pipeline/registry/reg_cards.h"
#include "pipeline/registry/reg_perso.h"
#include "pipeline/registry/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINES 32
#define MAX_BANKS 64
#define MAX_THREADS 64
#define JOB_WINDOW 256 /* scripts built ahead of sealing: memory stays small */

struct line_out {
	int line;
	struct key *tk;
	struct perso_batch_writer *w;
	long long first_id, last_id;
	long long *ids;
	char (*sha)[65];
	size_t n, cap;
};

struct bank_keys {
	char bank[16];
	long long last_id, ordinal; /* the last card seen this run, its ordinal in the bank */
	struct key *mk[3];
	const struct bank_profile *prof;
	struct emv_issuer *issuer;
};

/* One card's script, built by a worker thread from what the main thread resolved. */
struct job {
	const struct perso_card *c;
	struct perso_masters m;
	struct perso_params params;
	struct line_out *L;
	struct buf script;
	int r;
	int held; /* decided by the main thread: no script is built */
	char err[512];
};

struct run {
	const struct config *cfg;
	struct registry *reg;
	struct keystore *ks;
	char *spool;
	struct key *ssse[3], *transport[3];
	struct bank_keys banks[MAX_BANKS];
	size_t nbanks;
	struct line_out lines[MAX_LINES];
	size_t nlines, rr;
	struct perso_params params;
	size_t batch_cards;
	struct perso_counts *counts;
	struct bank_profiles profiles;
	size_t threads;
	struct job *jobs;
	size_t njobs, next_job; /* next_job: the pool's cursor, under mu */
	pthread_mutex_t mu;
};

static int
get_key(struct run *R, const char *name, enum key_alg alg, size_t len, struct key **out)
{
	int r;

	/* a key the configuration needs but the store lacks is a configuration error (exit 2),
	 * the same in every command that needs keys */
	if ((r = keystore_get(R->ks, name, out)) < 0)
		return r == CP_ERR_NOTFOUND ? cp_err_wrap(CP_ERR_CONFIG, "perso: ") : r;
	if ((*out)->alg != alg || (*out)->len != len) {
		r = cp_err(CP_ERR_CONFIG, "key '%s' is %s/%zu bits; perso needs %s/%zu", name,
			   key_alg_name((*out)->alg), (*out)->len * 8, key_alg_name(alg), len * 8);
		key_free(*out);
		*out = NULL;
	}
	return r;
}

/* The bank's issuer key for offline data authentication, checked against its profile. */
static int
bank_issuer(struct run *R, struct bank_keys *b)
{
	size_t icc = b->prof->icc_key_bits / 8;
	char bin[24];
	int r;

	if ((r = emv_issuer_load(R->ks, b->bank, &b->issuer)) < 0)
		return r == CP_ERR_NOTFOUND ? cp_err_wrap(CP_ERR_CONFIG, "perso: ") : r;
	/* a terminal refuses the issuer certificate (Book 2 5.3 step 8) of every card whose
	 * PAN its identifier does not begin: refuse before any card is made */
	if ((r = emv_bank_bin(R->cfg, b->bank, bin, sizeof(bin))) < 0)
		return cp_err_wrap(r, "perso: ");
	if (emv_issuer_check_pan_prefix(b->issuer, bin) < 0)
		return cp_err_wrap(CP_ERR_CONFIG,
				   "perso: bank %s's issuer certificate does not match its BIN %s "
				   "(banks.bins): ",
				   b->bank, bin);
	if (b->prof->oda != BANK_ODA_SDA &&
	    ((r = emv_check_bits("ICC", b->prof->icc_key_bits)) < 0 ||
	     (r = emv_check_chain("[oda] icc_key_bits", icc, b->issuer->pub.modulus_len)) < 0))
		return cp_err_wrap(CP_ERR_CONFIG, "bank %s's profile: ", b->bank);
	return 0;
}

static int
bank_masters(struct run *R, const char *bank, struct bank_keys **out)
{
	struct bank_keys *b;
	const struct bank_profile *prof;
	int r;

	for (size_t i = 0; i < R->nbanks; i++)
		if (!strcmp(R->banks[i].bank, bank)) {
			*out = &R->banks[i];
			return 0;
		}
	if (R->nbanks >= MAX_BANKS)
		return cp_err(CP_ERR_LIMIT, "more than %d banks", MAX_BANKS);
	if (!(prof = bank_profiles_find(&R->profiles, bank)))
		return cp_err(CP_ERR_CONFIG, "bank '%s' is not in banks.cooperating", bank);
	b = &R->banks[R->nbanks++];
	memset(b, 0, sizeof(*b));
	snprintf(b->bank, sizeof(b->bank), "%s", bank);
	b->prof = prof;
	for (int i = 0; i < 3; i++) {
		const char *name = prof->imk[i];

		if ((r = keystore_get(R->ks, name, &b->mk[i])) < 0)
			return r == CP_ERR_NOTFOUND
				       ? cp_err_wrap(
						 CP_ERR_CONFIG,
						 "bank %s's issuer master key '%s' ([keys] of its "
						 "profile): ",
						 bank, name)
				       : r;
		if ((b->mk[i]->alg != KEY_TDES && b->mk[i]->alg != KEY_SM4) || b->mk[i]->len != 16)
			return cp_err(CP_ERR_CONFIG, "key '%s' must be a 16-byte 3DES or SM4 key",
				      name);
		if (b->mk[i]->alg != b->mk[0]->alg)
			return cp_err(CP_ERR_CONFIG, "bank %s's issuer master keys mix algorithms",
				      bank);
	}
	if (prof->session_key == EMV_AC_SKD_PBOC && b->mk[0]->alg != KEY_TDES)
		return cp_err(CP_ERR_CONFIG,
			      "bank %s's profile: [keys] session_key = pboc needs 3DES issuer "
			      "master keys; '%s' is %s",
			      bank, prof->imk[0], key_alg_name(b->mk[0]->alg));
	if ((r = bank_issuer(R, b)) < 0)
		return r;
	*out = b;
	return 0;
}

static int
add_line(struct run *R, int line)
{
	struct line_out *L;
	char name[KEY_NAME_MAX + 1];
	int r;

	if (line <= 0 || line > 999)
		return cp_err(CP_ERR_CONFIG, "production line '%d' is not 1..999", line);
	for (size_t i = 0; i < R->nlines; i++)
		if (R->lines[i].line == line)
			return 0;
	if (R->nlines >= MAX_LINES)
		return cp_err(CP_ERR_CONFIG, "more than %d production lines", MAX_LINES);
	L = &R->lines[R->nlines];
	memset(L, 0, sizeof(*L));
	L->line = line;
	snprintf(name, sizeof(name), "line.%d.transport", line);
	if ((r = get_key(R, name, KEY_AES, 32, &L->tk)) < 0)
		return r;
	R->nlines++;
	return 0;
}

static struct line_out *
line_for(struct run *R, const struct perso_card *c, int forced)
{
	if (forced)
		return &R->lines[0];
	for (size_t i = 0; i < R->nlines; i++)
		if (c->line && R->lines[i].line == c->line)
			return &R->lines[i];
	return &R->lines[R->rr++ % R->nlines];
}

static int
flush(struct run *R, struct line_out *L)
{
	struct reg_perso_batch b;
	char id[64], *dir, *path, fsha[65], rel[96];
	const char **shas;
	int r;

	if (!L->w || L->n == 0)
		return 0;
	snprintf(id, sizeof(id), "L%d-%09lld-%09lld", L->line, L->first_id, L->last_id);
	snprintf(rel, sizeof(rel), "perso/line-%d", L->line);
	dir = fs_join(R->spool, rel);
	snprintf(rel, sizeof(rel), "%s.batch", id);
	path = fs_join(dir, rel);
	shas = xcalloc(L->n, sizeof(*shas));
	for (size_t i = 0; i < L->n; i++)
		shas[i] = L->sha[i];
	if ((r = fs_mkdirs(dir, 0700)) < 0 ||
	    (r = perso_batch_writer_commit(L->w, id, path, fsha)) < 0)
		goto out;
	b.name = id;
	b.path = path;
	b.sha256 = fsha;
	b.transport_key = L->tk->name;
	b.transport_kcv = L->tk->kcv;
	b.line = L->line;
	if ((r = reg_perso_commit(R->reg, &b, L->ids, shas, L->n)) < 0) {
		unlink(path); /* nothing points at it */
		goto out;
	}
	R->counts->cards += (long)L->n;
	R->counts->batches++;
	log_debug("perso", "batch %s: %zu cards", id, L->n);
out:
	perso_batch_writer_free(L->w);
	L->w = NULL;
	L->n = 0;
	free(shas);
	free(path);
	free(dir);
	return r;
}

/* Card c's ICC certificate serial: its ordinal among its bank's cards, counted from the
 * registry (the whole bank once per run, then only the ids since the bank's last card:
 * cards come in id order). Unique per bank, so per issuer key, with no schema change. */
static int
icc_serial(struct run *R, struct bank_keys *b, struct perso_card *c)
{
	long long n;
	int r;

	if (c->card_id <= b->last_id) { /* not in id order: count from the start */
		b->last_id = 0;
		b->ordinal = 0;
	}
	if ((r = reg_perso_bank_cards(R->reg, c->bank, b->last_id, c->card_id, &n)) < 0)
		return r;
	b->last_id = c->card_id;
	b->ordinal += n;
	if (b->ordinal < 1 || b->ordinal > 0xFFFFFF)
		return cp_err(CP_ERR_LIMIT,
			      "bank %s: card %s would be the bank's card number %lld; ICC "
			      "certificate serials (3 bytes) end at 16777215",
			      c->bank, c->card_no, b->ordinal);
	c->icc_serial = (long)b->ordinal;
	return 0;
}

/* Main thread: what card c's script needs, resolved into job j (no registry or key store
 * access is left to the workers). */
static int
prepare_job(struct run *R, struct perso_card *c, int forced, struct job *j)
{
	struct perso_masters *m = &j->m;
	struct bank_keys *bk = NULL;
	int r;

	j->c = c;
	j->L = line_for(R, c, forced);
	j->r = 0;
	j->err[0] = '\0';
	memset(m, 0, sizeof(*m));
	if ((r = bank_masters(R, c->bank, &bk)) < 0 || (r = icc_serial(R, bk, c)) < 0)
		return r;
	for (int i = 0; i < 3; i++) {
		m->ssse[i] = R->ssse[i]->value;
		m->transport[i] = R->transport[i]->value;
		m->bank[i] = bk->mk[i]->value;
	}
	m->bank_alg = bk->mk[0]->alg == KEY_SM4 ? CP_ALG_SM4 : CP_ALG_TDES;
	m->tk = j->L->tk->value;
	snprintf(m->tk_name, sizeof(m->tk_name), "%s", j->L->tk->name);
	memcpy(m->tk_kcv, j->L->tk->kcv, 7);
	m->profile = bk->prof;
	m->issuer = bk->issuer;
	j->params = R->params;
	j->params.line = j->L->line;
	j->held = 0;
	if (pboc_issuer_covers(bk->issuer, c->bank, c->expiry_date) < 0) {
		/* a card whose ODA would fail mid-life is held, not made */
		log_warn("perso", "card %s held: %s", c->card_no, cp_errmsg());
		snprintf(j->err, sizeof(j->err), "%s", cp_errmsg());
		cp_err_clear();
		j->r = CP_ERR_INVALID;
		j->held = 1;
	}
	return 0;
}

/* Worker side: one card's script (ICC key generation is most of it for DDA cards). */
static void
build_job(struct job *j)
{
	if (j->held)
		return;
	buf_reset(&j->script);
	j->r = perso_script_build(j->c, &j->m, &j->params, &j->script);
	if (j->r < 0)
		snprintf(j->err, sizeof(j->err), "%s", cp_errmsg());
	cp_err_clear();
}

static void *
worker_main(void *arg)
{
	struct run *R = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&R->mu);
		i = R->next_job++;
		pthread_mutex_unlock(&R->mu);
		if (i >= R->njobs)
			return NULL;
		build_job(&R->jobs[i]);
	}
}

/* Build the scripts of jobs 0..njobs-1 on the pool; each job keeps its own result. */
static int
build_all(struct run *R)
{
	pthread_t tid[MAX_THREADS];
	size_t nt = R->threads < R->njobs ? R->threads : R->njobs, started = 0;

	R->next_job = 0;
	if (nt <= 1) {
		worker_main(R);
		return 0;
	}
	for (; started < nt; started++)
		if (pthread_create(&tid[started], NULL, worker_main, R) != 0)
			break;
	if (started == 0)
		worker_main(R); /* no thread to be had: this one does the work */
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	return 0;
}

/* Main thread, in card order: hold a card whose data cannot go on a chip, else add its
 * script to its line's batch. */
static int
finish_job(struct run *R, struct job *j)
{
	const struct perso_card *c = j->c;
	struct line_out *L = j->L;
	int r;

	if (j->r < 0) {
		r = cp_err(j->r, "%s", j->err);
		if (j->r != CP_ERR_INVALID)
			return r;
		/* the card's data cannot go on a chip: hold it, go on with the others */
		log_debug("perso", "card %s held: %s", c->card_no, j->err);
		if ((r = reg_perso_hold(R->reg, c->card_id, j->err)) < 0)
			return r;
		R->counts->held++;
		return 0;
	}
	if (!L->w) {
		if ((r = perso_batch_writer_new(L->line, L->tk->value, L->tk->name, L->tk->kcv,
						&L->w)) < 0)
			return r;
		L->first_id = c->card_id;
	}
	if (L->n == L->cap) {
		L->cap = L->cap ? 2 * L->cap : 256;
		L->ids = xrealloc(L->ids, L->cap * sizeof(*L->ids));
		L->sha = xrealloc(L->sha, L->cap * sizeof(*L->sha));
	}
	if ((r = perso_batch_writer_add(L->w, c->card_no, j->script.data, j->script.len,
					L->sha[L->n])) < 0)
		return r;
	L->ids[L->n++] = c->card_id;
	L->last_id = c->card_id;
	if (L->n >= R->batch_cards)
		return flush(R, L);
	return 0;
}

/* A window of cards read from the registry: resolve, build in parallel, finish in order. */
static int
do_window(struct run *R, struct perso_card *cards, size_t n, const struct perso_opts *opts,
	  long long *scripted, struct progress *prog)
{
	const char *failed = NULL;
	int r = 0;

	R->njobs = 0;
	for (size_t i = 0; i < n && r >= 0; i++) {
		failed = cards[i].card_no;
		if (opts->card_id && cards[i].card_id != opts->card_id)
			continue;
		/* a card allocated before transport card numbers gets its own now */
		if (!cards[i].transport_no[0] &&
		    (r = reg_card_transport_assign(R->reg, cards[i].card_id,
						   R->params.transport_city,
						   cards[i].transport_no)) < 0)
			break;
		if ((r = prepare_job(R, &cards[i], opts->line != 0, &R->jobs[R->njobs])) < 0)
			break;
		R->njobs++;
	}
	if (r < 0)
		return cp_err_wrap(r, "card %s: ", failed);
	build_all(R);
	for (size_t i = 0; i < R->njobs; i++) {
		if ((r = finish_job(R, &R->jobs[i])) < 0)
			return cp_err_wrap(r, "card %s: ", R->jobs[i].c->card_no);
		progress_update(prog, ++*scripted);
	}
	return 0;
}

static int
do_chunk(struct run *R, struct perso_card *cards, size_t n, const struct perso_opts *opts,
	 long long *scripted, struct progress *prog)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i += JOB_WINDOW)
		r = do_window(R, cards + i, n - i < JOB_WINDOW ? n - i : JOB_WINDOW, opts, scripted,
			      prog);
	return r;
}

/* Delete batch files no registry row names (a run that died before its commit). */
struct known {
	char **paths;
	size_t n;
};

static int
collect(const char *path, void *arg)
{
	struct known *k = arg;

	k->paths = xrealloc(k->paths, (k->n + 1) * sizeof(*k->paths));
	k->paths[k->n++] = xstrdup(path);
	return 0;
}

static int
clean_orphans(struct run *R)
{
	struct known k = {NULL, 0};
	char *root = fs_join(R->spool, "perso");
	DIR *d = opendir(root), *ld;
	struct dirent *e, *f;
	int r;

	if ((r = reg_perso_batch_paths(R->reg, collect, &k)) < 0)
		goto out;
	while (d && (e = readdir(d))) {
		char *ldir;

		if (strncmp(e->d_name, "line-", 5))
			continue;
		ldir = fs_join(root, e->d_name);
		if ((ld = opendir(ldir))) {
			while ((f = readdir(ld))) {
				size_t nl = strlen(f->d_name);
				char *p;
				int known = 0;

				if (nl < 7 || strcmp(f->d_name + nl - 6, ".batch"))
					continue;
				p = fs_join(ldir, f->d_name);
				for (size_t i = 0; i < k.n && !known; i++)
					known = !strcmp(k.paths[i], p);
				if (!known) {
					log_warn("perso",
						 "removing batch '%s' of an interrupted run", p);
					unlink(p);
				}
				free(p);
			}
			closedir(ld);
		}
		free(ldir);
	}
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < k.n; i++)
		free(k.paths[i]);
	free(k.paths);
	free(root);
	return r;
}

static int
load_threads(struct run *R)
{
	long long t = config_int(R->cfg, "perso.threads");

	if (t == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		t = cpus < 1 ? 1 : cpus;
	}
	if (t > MAX_THREADS) /* the table says 0..64 too; tid[] must hold whatever it says */
		t = MAX_THREADS;
	R->threads = (size_t)t;
	return 0;
}

static int
load_params(struct run *R)
{
	const char *org = config_str(R->cfg, "card.init_org");
	struct perso_params *p = &R->params;

	snprintf(p->card_type, sizeof(p->card_type), "%s", config_str(R->cfg, "card.type"));
	snprintf(p->spec_version, sizeof(p->spec_version), "%s",
		 config_str(R->cfg, "card.spec_version"));
	snprintf(p->transport_city, sizeof(p->transport_city), "%s",
		 config_str(R->cfg, "perso.transport_city"));
	p->pin_tries = (int)config_int(R->cfg, "perso.pin_tries");
	if (strlen(p->card_type) != 1)
		return cp_err(CP_ERR_CONFIG, "card.type must be one character, not '%s'",
			      p->card_type);
	if (strlen(p->spec_version) != 4)
		return cp_err(CP_ERR_CONFIG, "card.spec_version must be 4 characters (\"3.00\")");
	if (strlen(org) != 24 || hex_decode(org, p->init_org, 12) != 12)
		return cp_err(CP_ERR_CONFIG, "card.init_org must be 24 hex digits (12 bytes)");
	R->batch_cards = (size_t)config_int(R->cfg, "perso.batch_cards");
	return load_threads(R);
}

/* The bank profiles: a bad file is a configuration error (exit 2), and a TEST ONLY initial
 * PIN is refused with a production key store. */
static int
load_profiles(struct run *R, const char *home)
{
	int r;

	if ((r = bank_profiles_load_config(R->cfg, home, &R->profiles)) < 0)
		return r == CP_ERR_FORMAT ? cp_err_wrap(CP_ERR_CONFIG, "bank profile: ") : r;
	return bank_profiles_check_test_pins(&R->profiles, keystore_is_test(R->ks));
}

/* Every profiled bank's IMKs and issuer key, before any card: a missing or wrong key is a
 * configuration error at the start, not at the bank's first card in the middle of a run. */
static int
load_banks(struct run *R)
{
	struct bank_keys *b;
	int r;

	for (size_t i = 0; i < R->profiles.n; i++)
		if ((r = bank_masters(R, R->profiles.p[i].bank, &b)) < 0)
			return r == CP_ERR_CONFIG
				       ? r
				       : cp_err_wrap(r, "bank %s: ", R->profiles.p[i].bank);
	return 0;
}

static int
perso_run(const struct config *cfg, const char *home, struct registry *reg,
	  const struct perso_opts *opts, struct perso_counts *counts)
{
	static const char *const ssse[] = {"ssse.ext-auth", "ssse.maint", "ssse.pin"};
	static const char *const tra[] = {"transport.purchase", "transport.load", "transport.tac"};
	struct run *R = xcalloc(1, sizeof(*R));
	struct perso_card *cards = NULL;
	struct progress prog = {0}; /* cards scripted, on a terminal */
	long long scripted = 0;
	long long after = 0;
	size_t n = 0;
	int lock_fd = -1, r;

	memset(counts, 0, sizeof(*counts));
	R->cfg = cfg;
	R->reg = reg;
	R->counts = counts;
	R->spool = config_path(cfg, "paths.spool", home);
	pthread_mutex_init(&R->mu, NULL);
	if ((r = keys_harden_process()) < 0 || (r = load_params(R)) < 0 ||
	    (r = keystore_open_cfg(cfg, home, &R->ks)) < 0 || (r = load_profiles(R, home)) < 0 ||
	    (r = load_banks(R)) < 0)
		goto out;
	for (int i = 0; i < 3; i++)
		if ((r = get_key(R, ssse[i], KEY_SM4, 16, &R->ssse[i])) < 0 ||
		    (r = get_key(R, tra[i], KEY_SM4, 16, &R->transport[i])) < 0)
			goto out;
	if (opts->line)
		r = add_line(R, opts->line);
	else {
		char *list = xstrdup(config_str(cfg, "produce.lines")), *save = NULL;

		for (char *t = strtok_r(list, ", ", &save); t && r >= 0;
		     t = strtok_r(NULL, ", ", &save))
			r = add_line(R, atoi(t));
		free(list);
		if (r >= 0 && R->nlines == 0)
			r = cp_err(CP_ERR_CONFIG, "produce.lines names no production line");
	}
	if (r < 0)
		goto out;
	/* Every perso run writes under a shared lock; a batch file nobody recorded is an orphan
	 * of a killed run only when nobody else is writing, so the cleanup needs the lock alone
	 * and is simply left for the next run when another one (an instant issuance beside the
	 * nightly) is busy. Nobody waits longer than a cleanup. */
	{
		char *dir = fs_join(R->spool, "perso"), *lp = fs_join(dir, ".lock");
		int alone = 0;

		r = fs_mkdirs(dir, 0700);
		if (r >= 0 && (lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
			r = cp_err(CP_ERR_IO, "lock '%s': %s", lp, strerror(errno));
		if (r >= 0)
			alone = flock(lock_fd, LOCK_EX | LOCK_NB) == 0;
		if (r >= 0 && alone)
			r = clean_orphans(R);
		if (r >= 0 && flock(lock_fd, LOCK_SH) != 0)
			r = cp_err(CP_ERR_IO, "lock '%s': %s", lp, strerror(errno));
		free(lp);
		free(dir);
	}
	if (r < 0)
		goto out;
	cards = xcalloc(R->batch_cards, sizeof(*cards));
	R->jobs = xcalloc(JOB_WINDOW, sizeof(*R->jobs));
	for (size_t i = 0; i < JOB_WINDOW; i++)
		buf_init(&R->jobs[i].script, 1 << 20);
	progress_start(&prog, "perso", 0); /* cards scripted so far (no total known) */
	for (;;) {
		if ((r = reg_perso_next_cards(reg, after, opts->card_id, R->batch_cards, cards,
					      &n)) < 0)
			goto out;
		if (n == 0)
			break;
		after = cards[n - 1].card_id;
		if ((r = do_chunk(R, cards, n, opts, &scripted, &prog)) < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			cp_memzero(&cards[i], sizeof(cards[i]));
		if (opts->card_id && after >= opts->card_id)
			break;
	}
	for (size_t i = 0; i < R->nlines; i++)
		if ((r = flush(R, &R->lines[i])) < 0)
			goto out;
	log_info("perso", "%ld cards perso_ready in %ld sealed batches, %ld held", counts->cards,
		 counts->batches, counts->held);
out:
	progress_end(&prog);
	if (R->jobs) {
		for (size_t i = 0; i < JOB_WINDOW; i++)
			buf_release_secret(&R->jobs[i].script);
		cp_memzero(R->jobs, JOB_WINDOW * sizeof(*R->jobs));
		free(R->jobs);
	}
	if (cards) {
		cp_memzero(cards, R->batch_cards * sizeof(*cards));
		free(cards);
	}
	for (size_t i = 0; i < R->nlines; i++) {
		perso_batch_writer_free(R->lines[i].w);
		key_free(R->lines[i].tk);
		free(R->lines[i].ids);
		free(R->lines[i].sha);
	}
	for (size_t i = 0; i < R->nbanks; i++) {
		for (int j = 0; j < 3; j++)
			key_free(R->banks[i].mk[j]);
		emv_issuer_free(R->banks[i].issuer);
	}
	bank_profiles_release(&R->profiles);
	pthread_mutex_destroy(&R->mu);
	for (int i = 0; i < 3; i++) {
		key_free(R->ssse[i]);
		key_free(R->transport[i]);
	}
	keystore_close(R->ks);
	free(R->spool);
	free(R);
	if (lock_fd >= 0)
		close(lock_fd); /* releases the lock */
	return r;
}

int
stage_perso_run(const struct stage_ctx *ctx, const struct perso_opts *opts,
		struct stage_result *res)
{
	struct perso_counts own = {0}, *c = opts->detail ? opts->detail : &own;
	int r = perso_run(ctx->cfg, ctx->home, ctx->reg, opts, c);

	memset(res, 0, sizeof(*res));
	res->read = c->cards + c->held;
	res->done = c->cards;
	res->rejected = c->held; /* a card held is one perso could not do */
	res->held = c->held;
	snprintf(res->note, sizeof(res->note), "%ld cards in %ld sealed batches, %ld held",
		 c->cards, c->batches, c->held);
	return r;
}
