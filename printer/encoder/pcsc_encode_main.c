/*
 * pcsc_encode_main.c - `pcsc-encode`: run the chip encoder by hand or from a test: a plain
 * APDU script (apdu_script.h) through SCP03 onto the card in a PC/SC reader, then the
 * read-back and the life cycle step that locks the card; or --read, a QC re-read of a
 * card's identifier and records.
 *
 * Prints one line "OK <card identifier> apdus=N checked=N atr=HEX locked=TIME card=STATE
 * transitions=N" or
 * "FAIL <outcome> <reason>"; exit 0 ok, 1 the card failed, 2 usage, 3 reader or set-up.
 */
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "printer/encoder/apdu_script.h"
#include "printer/encoder/encoder.h"
#include "printer/encoder/pcscd_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
	"usage: pcsc-encode [--pcscd-dir DIR] [--reader PREFIX] [--timeout MS]\n"
	"                   [--profiles DIR] [--stock NAME]\n"
	"                   --kmc-file FILE [--kvn N] [--transport-file FILE] --script FILE\n"
	"       pcsc-encode [--pcscd-dir DIR] [--reader PREFIX] [--timeout MS] --read\n"
	"\n"
	"Personalise the card in a PC/SC reader with a plain APDU script: the secure channel of\n"
	"the card's stock (chip profile: SCP03 or SCP02) opened with the chip's static keys (as\n"
	"the stock diversifies them from the KMC and the chip's KDD), the script run with its\n"
	"expected status words, then everything written read back and compared. Without\n"
	"--profiles or --stock the card is taken to be the default stock cpvc-s03 (SCP03, kdf3).\n"
	"\n"
	"Options:\n"
	"  --pcscd-dir DIR       talk to the line pcscd under DIR (sets PCSCLITE_CSOCK_NAME)\n"
	"  --reader PREFIX       reader name prefix (default 'Virtual PCD')\n"
	"  --timeout MS          how long to wait for a card (default 10000)\n"
	"  --profiles DIR        the chip profiles (*.ini); the card's stock is the one whose\n"
	"                        ATR it presents (default DIR with --stock: the shipped ones)\n"
	"  --stock NAME          drive the card as this stock, whatever its ATR\n"
	"  --kmc-file FILE       the KMC as hex (32/48/64 digits; mode 0600 or stricter)\n"
	"  --kvn N               key version to ask for in INITIALIZE UPDATE (hex; default 0: "
	"any)\n"
	"  --transport-file FILE the line transport key as hex (AES), for sens= ranges\n"
	"  --script FILE         the APDU script: hex APDU [sw=9000,...] [sens=OFF:LEN] [label=X]\n"
	"  --card-no NO          the card number, for messages\n"
	"  --read                only read the card back (ATR, card identifier)\n"
	"  --expect AID:FID:REC:HEX also read record REC of file FID (hex; 0 = the\n"
	"                        application's current file) under AID and compare it with HEX\n"
	"                        (repeatable, up to 16)\n"
	"  --lock 'P1 P2 [AID]'  end personalisation with these SET STATUS transitions, in\n"
	"                        order (repeatable, up to 8; hex: '40 0F A000000333010101',\n"
	"                        '80 0F'); default: each application the script installed for\n"
	"                        personalisation to 0F (PERSONALIZED), then the card 0F SECURED\n"
	"  --help                this text\n"
	"\n"
	"Output: 'OK <card identifier> apdus=N checked=N atr=HEX locked=TIME card=STATE\n"
	"transitions=N' (--read: up to atr=) or 'FAIL <outcome> <reason>' (outcome: no-card,\n"
	"chip, pulled, mismatch, auth, locked, reader, script, lock-failed, stock, config); with\n"
	"--profiles or --stock the OK line ends with ' stock=NAME'.\n"
	"Exit: 0 ok; 1 the card failed; 2 usage or a bad script; 3 reader or set-up failure\n"
	"(config: the chip has no key set of the --kvn, or the KMC cannot give the stock's "
	"keys).\n";

static int
load_key(const char *path, unsigned char *key, size_t *len, const char *what)
{
	unsigned char *data = NULL;
	size_t n = 0;
	struct stat st;
	int k;

	if (stat(path, &st) < 0)
		return cp_err(CP_ERR_NOTFOUND, "%s file '%s': %s", what, path, strerror(errno));
	if (st.st_mode & 077)
		return cp_err(CP_ERR_PERM, "%s file '%s' is readable by others: chmod 600", what,
			      path);
	if ((k = fs_read_file(path, 4096, &data, &n)) < 0)
		return k;
	for (char *p = (char *)data; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '\0';
	k = hex_decode((char *)data, key, 32);
	cp_freezero(data, n);
	if (k != 16 && k != 24 && k != 32)
		return cp_err(CP_ERR_FORMAT, "%s file '%s': expected 32, 48 or 64 hex digits", what,
			      path);
	*len = (size_t)k;
	return 0;
}

/* AID:FID:REC:HEX into ex; buf holds the AID (16) and the expected bytes (256). */
static int
parse_expect(char *arg, struct encoder_expect *ex, unsigned char *buf)
{
	char *save = NULL, *aid = strtok_r(arg, ":", &save), *fid = strtok_r(NULL, ":", &save);
	char *rec = strtok_r(NULL, ":", &save), *hex = strtok_r(NULL, ":", &save), *end;
	unsigned long f, n;
	int a, v;

	if (!aid || !fid || !rec || !hex)
		return cp_err(CP_ERR_USAGE, "expected AID:FID:REC:HEX");
	f = strtoul(fid, &end, 16);
	if (*end || f > 0xFFFF)
		return cp_err(CP_ERR_USAGE, "file id '%s'", fid);
	n = strtoul(rec, &end, 10);
	if (*end || n < 1 || n > 254)
		return cp_err(CP_ERR_USAGE, "record '%s'", rec);
	if ((a = hex_decode(aid, buf, 16)) < 5)
		return cp_err(CP_ERR_USAGE, "AID '%s': 5 to 16 bytes of hex", aid);
	if ((v = hex_decode(hex, buf + 16, 256)) < 1)
		return cp_err(CP_ERR_USAGE, "value '%s': hex", hex);
	*ex = (struct encoder_expect){.aid = buf,
				      .aid_len = (size_t)a,
				      .fid = (uint16_t)f,
				      .rec = (unsigned char)n,
				      .expect = buf + 16,
				      .len = (size_t)v,
				      .label = NULL};
	return 0;
}

/* The stocks --profiles names, one KMC for all. */
struct picker {
	const struct chip_profiles *set;
	const unsigned char *kmc;
	size_t kmc_len;
};

static int
pick(void *ctx, const unsigned char *atr, size_t atr_len, const struct chip_profile **profile,
     const unsigned char **kmc, size_t *kmc_len)
{
	const struct picker *pk = ctx;
	char hex[2 * CHIP_ATR_MAX + 1];

	if (!(*profile = chip_profiles_match(pk->set, atr, atr_len))) {
		hex_encode(atr, atr_len < CHIP_ATR_MAX ? atr_len : CHIP_ATR_MAX, hex);
		return cp_err(CP_ERR_UNSUPPORTED, "ATR %s matches no chip profile", hex);
	}
	*kmc = pk->kmc;
	*kmc_len = pk->kmc_len;
	return 0;
}

static int
load_profiles(const char *dir, struct chip_profiles *set)
{
	char tried[512], *found = NULL;
	int r;

	if (!dir && !(found = fs_find_data("chip-profiles", tried, sizeof tried)))
		return cp_err(CP_ERR_NOTFOUND, "the shipped chip profiles are not found (tried %s)",
			      tried);
	r = chip_profiles_load_dir(dir ? dir : found, set);
	free(found);
	return r;
}

/* The command line. */
struct args {
	const char *dir, *reader, *kmc_file, *tk_file, *script_file, *card_no, *profiles, *stock;
	struct encoder_expect ex[16];
	unsigned char exbuf[16][16 + 256];
	size_t nex, nlock;
	struct lc_transition lock[LC_MAX_TRANSITIONS];
	int timeout, read_only;
	unsigned kvn;
};

/* -1 when the run goes on, else the exit code (--help, a usage error). */
static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"pcscd-dir", required_argument, NULL, 'd'},
		{"reader", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"kmc-file", required_argument, NULL, 'k'},
		{"kvn", required_argument, NULL, 'v'},
		{"transport-file", required_argument, NULL, 'T'},
		{"script", required_argument, NULL, 's'},
		{"card-no", required_argument, NULL, 'n'},
		{"read", no_argument, NULL, 'R'},
		{"expect", required_argument, NULL, 'e'},
		{"lock", required_argument, NULL, 'L'},
		{"profiles", required_argument, NULL, 'P'},
		{"stock", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'r': a->reader = optarg; break;
		case 't':
			a->timeout = (int)strtol(optarg, &end, 10);
			if (*end || a->timeout <= 0) {
				fprintf(stderr, "pcsc-encode: --timeout '%s': milliseconds > 0\n",
					optarg);
				return 2;
			}
			break;
		case 'k': a->kmc_file = optarg; break;
		case 'v':
			a->kvn = (unsigned)strtoul(optarg, &end, 16);
			if (*end || a->kvn > 0x7F) {
				fprintf(stderr, "pcsc-encode: --kvn '%s': hex 00..7F\n", optarg);
				return 2;
			}
			break;
		case 'T': a->tk_file = optarg; break;
		case 's': a->script_file = optarg; break;
		case 'n': a->card_no = optarg; break;
		case 'R': a->read_only = 1; break;
		case 'e':
			if (a->nex >= 16 ||
			    parse_expect(optarg, &a->ex[a->nex], a->exbuf[a->nex]) < 0) {
				fprintf(stderr, "pcsc-encode: --expect '%s': %s\n", optarg,
					a->nex >= 16 ? "at most 16" : cp_errmsg());
				return 2;
			}
			a->nex++;
			break;
		case 'L':
			if (a->nlock >= LC_MAX_TRANSITIONS ||
			    lc_transition_parse(optarg, &a->lock[a->nlock]) < 0) {
				fprintf(stderr, "pcsc-encode: --lock: %s\n",
					a->nlock >= LC_MAX_TRANSITIONS ? "at most 8" : cp_errmsg());
				return 2;
			}
			a->nlock++;
			break;
		case 'P': a->profiles = optarg; break;
		case 'S': a->stock = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind != argc || (!a->read_only && (!a->kmc_file || !a->script_file))) {
		fprintf(stderr, "pcsc-encode: --kmc-file and --script are needed (or --read)\n%s",
			usage_text);
		return 2;
	}
	return -1;
}

/* The OK or FAIL line; the exit code. */
static int
print_result(int r, const struct encoder_result *res, int with_stock)
{
	if (r == 0) {
		printf("OK %s apdus=%u checked=%u atr=%s", res->card_id, res->n_apdus,
		       res->n_checked, res->atr);
		if (res->locked_at[0])
			printf(" locked=%s card=%s transitions=%u", res->locked_at,
			       lc_card_state_name(res->card_state)
				       ? lc_card_state_name(res->card_state)
				       : "?",
			       res->n_transitions);
		if (with_stock)
			printf(" stock=%s", res->stock);
		putchar('\n');
		return 0;
	}
	printf("FAIL %s %s\n", encoder_outcome_name(res->outcome), res->reason);
	return res->outcome == ENCODER_READER || res->outcome == ENCODER_CONFIG ? 3
	       : res->outcome == ENCODER_BAD_SCRIPT				? 2
										: 1;
}

int
main(int argc, char **argv)
{
	struct args a = {.reader = "Virtual PCD", .timeout = 10000};
	struct chip_profiles set = {0};
	struct picker pk = {&set, NULL, 0};
	unsigned char kmc[32], tk[32];
	size_t kmc_len = 0, tk_len = 0;
	struct apdu_script *script = NULL;
	struct encoder *e = NULL;
	struct encoder_result res;
	struct encoder_keys keys;
	int rc, r;

	umask(077);
	if ((rc = parse_args(argc, argv, &a)) >= 0)
		return rc;
	if ((a.dir && (r = pcscd_line_client_env(a.dir)) < 0) ||
	    (!a.read_only && (r = load_key(a.kmc_file, kmc, &kmc_len, "KMC")) < 0) ||
	    (a.tk_file && (r = load_key(a.tk_file, tk, &tk_len, "transport key")) < 0) ||
	    (a.script_file && (r = apdu_script_load(a.script_file, &script)) < 0) ||
	    ((a.profiles || a.stock) && (r = load_profiles(a.profiles, &set)) < 0) ||
	    (r = encoder_open(a.reader, a.timeout, &e)) < 0) {
		fprintf(stderr, "pcsc-encode: %s\n", cp_errmsg());
		rc = r == CP_ERR_FORMAT || r == CP_ERR_PERM || r == CP_ERR_NOTFOUND ? 2 : 3;
		goto out;
	}
	if (a.read_only) {
		r = encoder_read(e, a.ex, a.nex, &res);
	} else {
		struct encoder_job job = {.card_no = a.card_no,
					  .keys = &keys,
					  .expect = a.ex,
					  .n_expect = a.nex,
					  .transitions = a.lock,
					  .n_transitions = a.nlock};
		keys = (struct encoder_keys){.kmc = kmc,
					     .kmc_len = kmc_len,
					     .kvn = (unsigned char)a.kvn,
					     .transport = tk_len ? tk : NULL,
					     .transport_len = tk_len,
					     .transport_alg = CP_ALG_AES};
		job.script = apdu_script_iter(script);
		pk.kmc = kmc;
		pk.kmc_len = kmc_len;
		if (a.stock && !(job.profile = chip_profiles_find(&set, a.stock))) {
			fprintf(stderr, "pcsc-encode: --stock '%s': no such chip profile\n",
				a.stock);
			rc = 2;
			goto out;
		}
		if (a.profiles && !a.stock) {
			job.pick_stock = pick;
			job.pick_ctx = &pk;
		}
		r = encoder_personalize(e, &job, &res);
	}
	rc = print_result(r, &res, a.profiles || a.stock);
out:
	cp_memzero(kmc, sizeof kmc);
	cp_memzero(tk, sizeof tk);
	apdu_script_free(script);
	encoder_close(e);
	chip_profiles_release(&set);
	return rc;
}
