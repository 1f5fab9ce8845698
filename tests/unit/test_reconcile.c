/*
 * test_reconcile.c - bank reconciliation against a fixture registry: totals equal the
 * registry's, reports survive a round trip through XML and CSV, signatures verify for
 * every algorithm and fail for a changed report, a re-signed report with wrong figures
 * fails the recount; transport refunds and the SLA classes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/hex.h"
#include "dispatch_fixture.h"
#include "personalization/keys/keystore.h"
#include "pipeline/stages/dispatch.h"
#include "pipeline/stages/reconcile.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
setup(void **state)
{
	struct fixture_env *e = fixture_env_new("test_reconcile", 10);

	e->key = fs_join(e->home, "sign.pem");
	assert_int_equal(config_set(e->cfg, "reconcile.signing_key", e->key, CFG_CLI), 0);
	assert_int_equal(recon_keygen("sm2", e->key), 0);
	fixture_env_dispatch(e);
	*state = e;
	return 0;
}

static char *
report_path(struct fixture_env *e, const char *name)
{
	return xasprintf("%s/out/reconcile/2026-11-26/%s", e->home, name);
}

/* The stage through the contract; the contract's figures are the stage's own. */
static int
reconcile_with(struct fixture_env *e, const char *day, struct reconcile_result *res)
{
	struct stage_ctx sc = {.cfg = e->cfg, .home = e->home, .reg = e->reg, .actor = "reconcile"};
	struct reconcile_opts o = {.day = day, .detail = res};
	struct stage_result sr;
	int r = stage_reconcile_run(&sc, &o, &sr);

	assert_int_equal(sr.read, res->cards);
	assert_int_equal(sr.done, res->cards);
	return r;
}

static void
test_totals_equal_registry(void **state)
{
	struct fixture_env *e = *state;
	struct reconcile_result res;
	const char *banks[] = {"ICBC", "CCB", "ABC"};
	long long sum[5] = {0};

	assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
	assert_int_equal(res.banks, 14); /* every cooperating bank gets its file */
	assert_int_equal(res.refunds, 2);
	reconcile_result_release(&res);
	for (size_t i = 0; i < ARRAY_SIZE(banks); i++) {
		char *name = xasprintf("%s-2026-11-26.xml", banks[i]), *p = report_path(e, name);
		unsigned char *data;
		size_t len;
		struct recon_report rep;

		assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
		assert_int_equal(recon_parse_xml(data, len, &rep), 0);
		assert_string_equal(rep.bank, banks[i]);
		sum[0] += rep.c.ordered;
		sum[1] += rep.c.produced;
		sum[2] += rep.c.spoiled;
		sum[3] += rep.c.dispatched;
		assert_int_equal((long long)rep.ncards, rep.c.produced);
		recon_report_release(&rep);
		free(data);
		free(p);
		free(name);
	}
	/* independent counts straight from the registry */
	assert_int_equal(sum[0], fixture_int(e->reg, "SELECT count(*) FROM card"));
	assert_int_equal(sum[1],
			 fixture_int(e->reg, "SELECT count(*) FROM production_attempt WHERE state "
					     "= 'produced'"));
	assert_int_equal(sum[2],
			 fixture_int(e->reg, "SELECT count(*) FROM production_attempt WHERE state "
					     "= 'spoiled'"));
	assert_int_equal(sum[3], fixture_int(e->reg, "SELECT count(*) FROM dispatch_item"));
	assert_int_equal(sum[0], 10);
	assert_int_equal(sum[2], 3);
}

static void
test_roundtrip_and_verify(void **state)
{
	struct fixture_env *e = *state;
	struct reconcile_result res;
	char *xml = report_path(e, "ICBC-2026-11-26.xml"),
	     *csv = report_path(e, "ICBC-2026-11-26.csv");
	FILE *devnull = fopen("/dev/null", "w");
	struct recon_report a, b;
	unsigned char *data;
	size_t len;

	assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
	reconcile_result_release(&res);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull), 0);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, csv, NULL, devnull), 0);

	/* the CSV says what the XML says */
	assert_int_equal(fs_read_file(xml, 1 << 20, &data, &len), 0);
	assert_int_equal(recon_parse_xml(data, len, &a), 0);
	free(data);
	assert_int_equal(fs_read_file(csv, 1 << 20, &data, &len), 0);
	assert_int_equal(recon_parse_csv(data, len, &b), 0);
	assert_int_equal(recon_compare(&a, &b, devnull), 0);
	assert_int_equal(a.nrefunds, 1);
	assert_int_equal(a.refunds[0].amount_fen, 1234);
	recon_report_release(&b);

	/* a changed byte: the signature fails */
	{
		char *p = strstr((char *)data, "count,,,,produced,,,");

		assert_non_null(p);
		p[20] = p[20] == '9' ? '8' : p[20] + 1;
		assert_int_equal(fs_write_atomic(csv, data, len, 0600), 0);
	}
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, csv, NULL, devnull),
			 CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "signature"));

	/* re-signed with the right key but wrong figures: the recount fails */
	{
		void *key;
		struct buf sig;
		char *sigpath = xasprintf("%s.sig", csv);

		assert_int_equal(recon_key_load(e->key, &key), 0);
		assert_int_equal(recon_sign("sm2", "1234567812345678", key, data, len, &sig), 0);
		assert_int_equal(fs_write_atomic(sigpath, sig.data, sig.len, 0600), 0);
		assert_int_equal(
			recon_verify("sm2", "1234567812345678", key, data, len, sig.data, sig.len),
			0);
		buf_release(&sig);
		recon_key_free(key);
		free(sigpath);
	}
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, csv, NULL, devnull),
			 CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "difference"));
	free(data);

	/* the registry moves on (a return): yesterday's report no longer recounts */
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull), 0);
	recon_report_release(&a);
	fclose(devnull);
	free(xml);
	free(csv);
}

static void
test_algorithms(void **state)
{
	struct fixture_env *e = *state;
	const char *algs[] = {"sm2", "ecdsa-p256", "rsa-pss"};
	const char msg[] = "BankReconciliation";

	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		char *path = xasprintf("%s/k-%s.pem", e->home, algs[i]);
		void *key;
		struct buf sig, pem;

		assert_int_equal(recon_keygen(algs[i], path), 0);
		assert_int_equal(recon_keygen(algs[i], path), CP_ERR_EXISTS);
		assert_int_equal(recon_key_load(path, &key), 0);
		assert_int_equal(
			recon_sign(algs[i], "1234567812345678", key, msg, sizeof(msg), &sig), 0);
		assert_int_equal(recon_verify(algs[i], "1234567812345678", key, msg, sizeof(msg),
					      sig.data, sig.len),
				 0);
		assert_int_equal(recon_verify(algs[i], "1234567812345678", key, msg,
					      sizeof(msg) - 1, sig.data, sig.len),
				 CP_ERR_INTEGRITY);
		/* the public key alone verifies */
		assert_int_equal(recon_pubkey_pem(key, &pem), 0);
		{
			char *pub = xasprintf("%s.pub", path);
			void *pk;

			assert_int_equal(fs_write_atomic(pub, pem.data, pem.len, 0644), 0);
			assert_int_equal(recon_pubkey_load(pub, &pk), 0);
			assert_int_equal(recon_verify(algs[i], "1234567812345678", pk, msg,
						      sizeof(msg), sig.data, sig.len),
					 0);
			recon_key_free(pk);
			free(pub);
		}
		/* a key of another kind is a configuration error */
		buf_release(&sig);
		assert_int_equal(recon_sign(algs[(i + 1) % 3], "1234567812345678", key, msg,
					    sizeof(msg), &sig),
				 CP_ERR_CONFIG);
		buf_release(&sig);
		buf_release(&pem);
		recon_key_free(key);
		free(path);
	}
	{
		void *key;

		assert_int_equal(
			recon_sign("md5", "1234567812345678", NULL, msg, 1, &(struct buf){0}),
			CP_ERR_CONFIG);
		chmod(e->key, 0644);
		assert_int_equal(recon_key_load(e->key, &key), CP_ERR_PERM);
		assert_int_equal(recon_key_load("/nonexistent.pem", &key), CP_ERR_NOTFOUND);
		assert_int_equal(fs_write_atomic(e->key, "not a key", 9, 0600), 0);
		assert_int_equal(recon_key_load(e->key, &key), CP_ERR_FORMAT);
	}
}

/* Verify sig over msg with SM2/SM3 and distinguishing ID id, the way a bank's tool does
 * (independently of recon_verify). */
static int
sm2_verifies(void *key, const char *id, const char *msg, size_t len, const struct buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, EVP_sm3(), NULL, key), 1);
	assert_true(EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)) > 0);
	ok = EVP_DigestVerify(ctx, sig->data, sig->len, (const unsigned char *)msg, len);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok == 1;
}

/* SM2 signatures carry GM/T 0009's default ID 1234567812345678 (not OpenSSL 3's empty
 * one), or a bank's own from reconcile.sm2_id_banks; the reports are signed that way. */
static void
test_sm2_id(void **state)
{
	struct fixture_env *e = *state;
	const char msg[] = "BankReconciliation";
	char id[SM2_ID_MAX + 1];
	struct reconcile_result res;
	struct buf sig;
	unsigned char *data;
	size_t len;
	char *xml = report_path(e, "ICBC-2026-11-26.xml"), *sigpath;
	FILE *devnull = fopen("/dev/null", "w");
	void *key;

	assert_int_equal(recon_sm2_id(e->cfg, "ICBC", id, sizeof(id)), 0);
	assert_string_equal(id, "1234567812345678");
	assert_int_equal(recon_key_load(e->key, &key), 0);
	assert_int_equal(recon_sign("sm2", id, key, msg, sizeof(msg), &sig), 0);
	assert_true(sm2_verifies(key, "1234567812345678", msg, sizeof(msg), &sig));
	assert_false(sm2_verifies(key, "", msg, sizeof(msg), &sig));
	assert_int_equal(recon_verify("sm2", "", key, msg, sizeof(msg), sig.data, sig.len),
			 CP_ERR_CONFIG);
	assert_int_equal(recon_verify("sm2", "other", key, msg, sizeof(msg), sig.data, sig.len),
			 CP_ERR_INTEGRITY);
	buf_release(&sig);

	/* a bank with its own ID: its reports are signed with it, verify uses it */
	assert_int_equal(
		config_set(e->cfg, "reconcile.sm2_id_banks", "BOB:BOB@bj,CCB:abc", CFG_CLI), 0);
	assert_int_equal(recon_sm2_id(e->cfg, "CCB", id, sizeof(id)), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(recon_sm2_id(e->cfg, "ICBC", id, sizeof(id)), 0);
	assert_string_equal(id, "1234567812345678");
	assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
	reconcile_result_release(&res);
	free(xml);
	xml = report_path(e, "CCB-2026-11-26.xml");
	sigpath = xasprintf("%s.sig", xml);
	assert_int_equal(fs_read_file(xml, 1 << 24, &data, &len), 0);
	{
		unsigned char *s;
		size_t sl;

		assert_int_equal(fs_read_file(sigpath, 1 << 16, &s, &sl), 0);
		sig = (struct buf){.data = s, .len = sl, .cap = sl};
		assert_true(sm2_verifies(key, "abc", (char *)data, len, &sig));
		assert_false(sm2_verifies(key, "1234567812345678", (char *)data, len, &sig));
		free(s);
	}
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull), 0);
	/* the verifier configured without the bank's ID rejects the signature */
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id_banks", "", CFG_CLI), 0);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull),
			 CP_ERR_INTEGRITY);

	/* IDs the openssl command line could not take are configuration errors */
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id_banks", "CCB", CFG_CLI), 0);
	assert_int_equal(recon_sm2_id(e->cfg, "CCB", id, sizeof(id)), CP_ERR_CONFIG);
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id_banks", "CCB:a b", CFG_CLI), 0);
	assert_int_equal(recon_sm2_id(e->cfg, "CCB", id, sizeof(id)), CP_ERR_CONFIG);
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id_banks", "", CFG_CLI), 0);
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id", "", CFG_CLI), 0);
	assert_int_equal(recon_sm2_id(e->cfg, "CCB", id, sizeof(id)), CP_ERR_CONFIG);
	assert_int_equal(config_set(e->cfg, "reconcile.sm2_id", "\xe4\xb8\xad", CFG_CLI), 0);
	assert_int_equal(recon_sm2_id(e->cfg, NULL, id, sizeof(id)), CP_ERR_CONFIG);
	recon_key_free(key);
	free(data);
	free(sigpath);
	free(xml);
	fclose(devnull);
}

/* The default signing key: the key store's SM2 key pair, unwrapped only to sign. */
static void
test_keystore_key(void **state)
{
	struct fixture_env *e = *state;
	unsigned char c1[LMK_LEN], c2[LMK_LEN];
	const unsigned char *comps[2] = {c1, c2};
	char *f1 = fs_join(e->home, "c1.key"), *f2 = fs_join(e->home, "c2.key"),
	     hex[2 * LMK_LEN + 2];
	char *list = xasprintf("%s:%s", f1, f2), *store = fs_join(e->home, "keystore.db");
	struct keystore *ks;
	struct reconcile_result res;
	FILE *devnull = fopen("/dev/null", "w");
	char *xml = report_path(e, "ICBC-2026-11-26.xml");
	void *key;

	for (int i = 0; i < LMK_LEN; i++) {
		c1[i] = (unsigned char)(i * 7 + 1);
		c2[i] = (unsigned char)(i * 13 + 5);
	}
	hex_encode(c1, LMK_LEN, hex);
	strcat(hex, "\n");
	assert_int_equal(fs_write_atomic(f1, hex, strlen(hex), 0600), 0);
	hex_encode(c2, LMK_LEN, hex);
	strcat(hex, "\n");
	assert_int_equal(fs_write_atomic(f2, hex, strlen(hex), 0600), 0);
	assert_int_equal(keystore_create(store, comps, 2, 1, &ks), 0);
	assert_int_equal(keystore_generate_sm2(ks, "report.sign"), 0);
	assert_int_equal(keystore_save(ks), 0);
	keystore_close(ks);
	assert_int_equal(config_set(e->cfg, "paths.keystore", store, CFG_CLI), 0);
	assert_int_equal(config_set(e->cfg, "keys.component_files", list, CFG_CLI), 0);
	assert_int_equal(
		config_set(e->cfg, "reconcile.signing_key", "keystore:report.sign", CFG_CLI), 0);
	assert_null(recon_signing_key_path(e->cfg, e->home));
	assert_int_equal(recon_signing_key(e->cfg, e->home, &key), 0);
	recon_key_free(key);
	assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
	reconcile_result_release(&res);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull), 0);
	/* a name the store does not hold is a configuration error */
	assert_int_equal(config_set(e->cfg, "reconcile.signing_key", "keystore:nope", CFG_CLI), 0);
	assert_int_equal(recon_signing_key(e->cfg, e->home, &key), CP_ERR_CONFIG);
	fclose(devnull);
	free(xml);
	free(f1);
	free(f2);
	free(list);
	free(store);
}

/* The spoilage sum of a report cannot wrap around to match its total. */
static void
test_compare_sum_overflow(void **state)
{
	FILE *devnull = fopen("/dev/null", "w");
	struct named_count sp[2] = {{.name = (char *)"a", .n = LLONG_MAX},
				    {.name = (char *)"b", .n = 2}};
	struct recon_report f = {0};

	(void)state;
	f.spoiled = sp;
	f.nspoiled = 2;
	f.c.spoiled = LLONG_MIN + 1; /* what the sum wraps to */
	assert_true(recon_compare(&f, &f, devnull) > 0);
	fclose(devnull);
}

static void
test_parse_errors(void **state)
{
	struct recon_report rep;
	const char *bad_xml[] = {
		"<x/>",
		"<BankReconciliation xmlns='urn:cardpipe:bank-reconciliation:1' bank='A' "
		"date='2026-11-26'><Counts ordered='x' produced='1' spoiled='0' dispatched='0' "
		"returned='0'/></BankReconciliation>",
		"<BankReconciliation xmlns='urn:other' bank='A' date='2026-11-26'/>",
		"not xml at all <",
		/* counts are digits only: no sign, no spaces */
		"<BankReconciliation xmlns='urn:cardpipe:bank-reconciliation:1' bank='A' "
		"date='2026-11-26'><Counts ordered=' 5' produced='1' spoiled='0' dispatched='0' "
		"returned='0'/></BankReconciliation>",
		"<BankReconciliation xmlns='urn:cardpipe:bank-reconciliation:1' bank='A' "
		"date='2026-11-26'><Counts ordered='+5' produced='1' spoiled='0' dispatched='0' "
		"returned='0'/></BankReconciliation>",
	};
#define HDR                                                                                        \
	"record,bank,date,format_version,figure,reason,count,pan,card_no,produced_at,"             \
	"application,channel_ref,old_card_no,new_card_no,amount_fen,due,fault\r\n"
	const char *bad_csv[] = {
		HDR "count,,,,ordered,,-1,,,,,,,,,\r\nheader,A,2026-11-26,2,,,,,,,,,,,,\r\n",
		HDR "header,A,2026-11-26,2,,,,,,,,,,,,\r\nbogus,,,,,,,,,,,,,,,\r\n",
		HDR "count,,,,ordered,,1,,,,,,,,,\r\n",
		HDR "header,A,2026-11-26,2,,,,,,,,,,,,\r\ncount,,,,shipped,,1,,,,,,,,,\r\n",
		"record,bank,date\r\nheader,A,2026-11-26\r\n", /* columns missing */
		"record,a,b,c,d,e,f\r\ncount,ordered,-1\r\nheader,A,2026-11-26\r\n",
		"record,a,b,c,d,e,f\r\nheader,A,2026-11-26\r\nbogus,1,2\r\n",
		HDR "header,A,2026-11-26,2,,,,,,,,,,,,\r\ncount,,,,ordered,,+1,,,,,,,,,\r\n",
		HDR "header,A,2026-11-26,2,,,,,,,,,,,,\r\ncount,,,,ordered,, 1,,,,,,,,,\r\n",
	};
	/* named columns in any order; reports written before they had names still read */
	const char *good_csv[] = {
		"count,record,figure,bank,date,format_version,reason,pan,card_no,produced_at,"
		"application,channel_ref,old_card_no,new_card_no,amount_fen,due,fault\r\n"
		"7,count,produced,,,,,,,,,,,,,\r\n,header,,A,2026-11-26,2,,,,,,,,,,\r\n"
		"1,spoiled,,,,,misfeed,,,,,,,,,\r\n,card,,,,,,9901,B001,2026-11-26T01:00:00Z,,,,,,"
		"\r\n"
		",refund,,,,,,,,,12,\"R,1\",B1,B2,1234,2026-11-28\r\n",
		"record,a,b,c,d,e,f\r\nheader,A,2026-11-26,1,,,\r\ncount,produced,7,,,,\r\n"
		"spoiled,misfeed,1,card,,,\r\ncard,9901,B001,2026-11-26T01:00:00Z,,,\r\n"
		"refund,12,\"R,1\",B1,B2,1234,2026-11-28\r\n",
	};
#undef HDR

	for (size_t i = 0; i < ARRAY_SIZE(good_csv); i++) {
		assert_int_equal(recon_parse_csv((const unsigned char *)good_csv[i],
						 strlen(good_csv[i]), &rep),
				 0);
		assert_string_equal(rep.bank, "A");
		assert_string_equal(rep.day, "2026-11-26");
		assert_int_equal(rep.c.produced, 7);
		assert_int_equal(rep.nspoiled, 1);
		assert_string_equal(rep.spoiled[0].name, "misfeed");
		assert_int_equal(rep.ncards, 1);
		assert_string_equal(rep.cards[0].card_no, "B001");
		assert_int_equal(rep.nrefunds, 1);
		assert_string_equal(rep.refunds[0].channel_ref, "R,1");
		assert_int_equal(rep.refunds[0].amount_fen, 1234);
		recon_report_release(&rep);
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad_xml); i++)
		assert_int_equal(recon_parse_xml((const unsigned char *)bad_xml[i],
						 strlen(bad_xml[i]), &rep),
				 CP_ERR_FORMAT);
	for (size_t i = 0; i < ARRAY_SIZE(bad_csv); i++)
		assert_int_equal(recon_parse_csv((const unsigned char *)bad_csv[i],
						 strlen(bad_csv[i]), &rep),
				 CP_ERR_FORMAT);
}

static void
test_sla_classes(void **state)
{
	struct fixture_env *e = *state;
	struct sla_counts *v;
	size_t n;
	char *sql;

	/* one produced application due yesterday (late), and four open ones */
	assert_int_equal(reg_exec(e->reg, "UPDATE application SET due_date = '2026-11-25' WHERE "
					  "id = 1"),
			 0);
	sql = xasprintf(
		"INSERT INTO application(file_id, record_no, location, channel, app_type, state, "
		"due_date, created_at, updated_at, reason_code) VALUES "
		"(1, 101, 'x', 'website', 'replace-lost', 'accepted', '2026-11-26', 'x', 'x', 'x'),"
		"(1, 102, 'x', 'website', 'replace-lost', 'accepted', '2026-11-29', 'x', 'x', 'x'),"
		"(1, 103, 'x', 'website', 'replace-lost', 'accepted', '2026-11-30', 'x', 'x', 'x'),"
		"(1, 104, 'x', 'website', 'replace-lost', 'held', '2026-12-20', 'x', 'x', 'x'),"
		"(1, 105, 'x', 'website', 'replace-lost', 'accepted', '2026-11-20', 'x', 'x', 'x'),"
		"(1, 106, 'x', 'website', 'replace-lost', 'received', '2026-11-20', 'x', 'x', "
		"'x')");
	if (reg_exec(e->reg, sql) < 0)
		fail_msg("%s", cp_errmsg());
	free(sql);
	assert_int_equal(sla_compute(e->reg, e->cfg, "2026-11-26", &v, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i].app_type, "new")) {
			assert_int_equal(v[i].on_time, 7);
			assert_int_equal(v[i].breached, 1);
		} else if (!strcmp(v[i].app_type, "replace-lost")) {
			assert_int_equal(v[i].due_today, 1);
			assert_int_equal(v[i].at_risk, 1);  /* 3 days out (sla.at_risk_days 3) */
			assert_int_equal(v[i].on_track, 2); /* 4 and 24 days out */
			assert_int_equal(v[i].breached, 1);
			assert_int_equal(v[i].on_time, 0);
		} else {
			assert_string_equal(v[i].app_type, "replace-damaged");
			assert_int_equal(v[i].on_time, 2);
		}
	}
	sla_counts_free(v, n);
	/* the day after, nothing completed that day: only the open ones are counted */
	assert_int_equal(sla_compute(e->reg, e->cfg, "2026-11-27", &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].breached, 2);
	assert_int_equal(v[0].at_risk, 2);
	sla_counts_free(v, n);
	assert_int_equal(sla_compute(e->reg, e->cfg, "2026-13-01", &v, &n), CP_ERR_FORMAT);
}

static void
test_refund_file(void **state)
{
	struct fixture_env *e = *state;
	struct reconcile_result res;
	char *p = report_path(e, "refunds-2026-11-26.csv");
	unsigned char *data;
	size_t len;

	assert_int_equal(reconcile_with(e, NULL, &res), 0);
	reconcile_result_release(&res);
	assert_int_equal(fs_read_file(p, 1 << 20, &data, &len), 0);
	/* two replacements (persons 4 and 9), 12.34 yuan each, due in 2 natural days */
	assert_non_null(strstr((char *)data, ",1234,12.34,2026-11-26,2026-11-28,due\r\n"));
	assert_null(strstr((char *)data, "1101011990030"));
	free(data);
	free(p);
	assert_int_equal(reconcile_with(e, "26-11-2026", &res), CP_ERR_USAGE);
	reconcile_result_release(&res);
}

/* A transport balance the registry holds malformed or too large (written before prepare
 * checked it) is never listed as due nor signed: the refund of 9.2 x 10^16 yuan, "abc" and
 * "0x10" read as 0, "12.5" read as 12. */
static void
test_bad_balances_in_registry_refused(void **state)
{
	static const char *const bad[] = {
		"9223372036854775807", "'abc'", "'0x10'", "12.5", "100001", "-5"};
	struct fixture_env *e = *state;
	struct reconcile_result res;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *sql = xasprintf("UPDATE application SET transport_balance = %s WHERE "
				      "app_type = 'replace-damaged'",
				      bad[i]);

		assert_int_equal(fixture_exec(e->reg, sql), 0);
		free(sql);
		if (!strcmp(bad[i], "-5")) {
			/* not listed at all (a refund is positive), so nothing to refuse */
			assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
			assert_int_equal(res.refunds, 0);
		} else {
			assert_int_equal(reconcile_with(e, "2026-11-26", &res), CP_ERR_INTEGRITY);
			assert_non_null(strstr(cp_errmsg(), "reconcile.max_refund_fen"));
		}
		reconcile_result_release(&res);
	}
}

/* Three maxima summed: never a negative total. */
static void
test_refund_sum_overflow_refused(void **state)
{
	struct recon_refund v[3] = {{.app_id = 1, .amount_fen = LLONG_MAX},
				    {.app_id = 2, .amount_fen = LLONG_MAX},
				    {.app_id = 3, .amount_fen = LLONG_MAX}};
	char bank[] = "BOC", day[] = "2026-11-26";
	struct recon_report rep = {
		.bank = bank, .day = day, .refunds = v, .nrefunds = 3, .stated_count = -1};
	FILE *devnull = fopen("/dev/null", "w");
	long long total = 5;
	struct buf xml;

	assert_int_equal(recon_refunds_total(v, 3, LLONG_MAX, &total), CP_ERR_INTEGRITY);
	assert_int_equal(total, 0);
	assert_int_equal(recon_write_xml(((struct fixture_env *)*state)->cfg, &rep, &xml),
			 CP_ERR_INTEGRITY);
	buf_release(&xml);
	rep.total_fen = LLONG_MAX; /* whatever it says, the sum cannot be made */
	assert_true(recon_check_money(&rep, LLONG_MAX, devnull) > 0);
	assert_true(recon_check_money(&rep, 100000, devnull) >= 3);
	v[0].amount_fen = v[1].amount_fen = v[2].amount_fen = 100;
	rep.total_fen = 300;
	assert_int_equal(recon_check_money(&rep, 100000, devnull), 0);
	rep.total_fen = 301;
	assert_int_equal(recon_check_money(&rep, 100000, devnull), 1);
	rep.stated_count = 2;
	rep.total_fen = 300;
	assert_int_equal(recon_check_money(&rep, 100000, devnull), 1);
	fclose(devnull);
}

/* Re-sign the file at path with the configured key. */
static void
resign(struct fixture_env *e, const char *path, const char *data, size_t len)
{
	void *key;
	struct buf sig;
	char *sigpath = xasprintf("%s.sig", path);

	assert_int_equal(fs_write_atomic(path, data, len, 0600), 0);
	assert_int_equal(recon_key_load(e->key, &key), 0);
	assert_int_equal(recon_sign("sm2", "1234567812345678", key, data, len, &sig), 0);
	assert_int_equal(fs_write_atomic(sigpath, sig.data, sig.len, 0600), 0);
	buf_release(&sig);
	recon_key_free(key);
	free(sigpath);
}

/* verify checks the sums it signed: a total the refunds do not make is caught even when
 * every count and refund recounts. */
static void
test_verify_checks_refund_total(void **state)
{
	struct fixture_env *e = *state;
	struct reconcile_result res;
	char *xml = report_path(e, "ICBC-2026-11-26.xml"), *p;
	FILE *devnull = fopen("/dev/null", "w");
	unsigned char *data;
	size_t len;
	char *text;

	assert_int_equal(reconcile_with(e, "2026-11-26", &res), 0);
	reconcile_result_release(&res);
	assert_int_equal(fs_read_file(xml, 1 << 20, &data, &len), 0);
	text = xstrndup((const char *)data, len);
	assert_non_null(p = strstr(text, "totalFen=\"1234\""));
	memcpy(p, "totalFen=\"1235\"", 15);
	resign(e, xml, text, len);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull),
			 CP_ERR_INTEGRITY);
	memcpy(p, "totalFen=\"-123\"", 15);
	resign(e, xml, text, len);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull),
			 CP_ERR_FORMAT);
	memcpy(p, "totalFen=\"1234\"", 15);
	assert_non_null(p = strstr(text, "TransportRefunds count=\"1\""));
	p[24] = '2';
	resign(e, xml, text, len);
	assert_int_equal(stage_reconcile_verify(e->cfg, e->home, e->reg, xml, NULL, devnull),
			 CP_ERR_INTEGRITY);
	free(text);
	free(data);
	free(xml);
	fclose(devnull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_totals_equal_registry, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_and_verify, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_algorithms, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_keystore_key, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_sm2_id, setup, fixture_env_teardown),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_compare_sum_overflow),
		cmocka_unit_test_setup_teardown(test_sla_classes, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_refund_file, setup, fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_balances_in_registry_refused, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_refund_sum_overflow_refused, setup,
						fixture_env_teardown),
		cmocka_unit_test_setup_teardown(test_verify_checks_refund_total, setup,
						fixture_env_teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
