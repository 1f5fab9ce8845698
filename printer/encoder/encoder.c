/*
 * encoder.c - the chip encoder over pcsc-lite (see encoder.h): wait for the card, know its
 * stock by the ATR, open the stock's secure channel (SCP03 or SCP02) with the chip's static
 * keys as the stock diversifies them, run the perso script as the stock wants STORE DATA,
 * read back, end personalisation with the stock's life cycle transitions.
 */
#include "printer/encoder/encoder.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/log.h"
#include "personalization/chip/tlv.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/scp02.h"
#include "personalization/crypto/scp03.h"
#include "formats/apdu.h"

#include <PCSC/winscard.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CHECKS 96
#define SW_ALREADY_PERSONALISED SW_CONDITIONS

static const unsigned char ssse_aid[15] = {0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9,
					   0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};

struct encoder {
	SCARDCONTEXT ctx;
	char *reader;
	int timeout_ms;
	/* pcscd's event count for the reader (the high 16 bits of dwEventState) when the last
	 * card was connected, -1 before: a card to personalise must come with a later count,
	 * so a chip swapped between two of pcscd's polls is never taken for the next blank */
	long last_events;
};

/* What the script wrote, to read back: SELECT aid [fid], READ RECORD rec (by SFI if sfi). */
struct check {
	unsigned char aid[16];
	size_t aid_len;
	uint16_t fid;
	unsigned char sfi, rec;
	int fci; /* 1: compare the SELECT answer's FCI proprietary template (A5), from DGI 9102 */
	unsigned char data[256];
	size_t len;
	char label[48];
};

/* One card's run. */
struct run {
	struct encoder *e;
	struct encoder_result *res;
	SCARDHANDLE card;
	const SCARD_IO_REQUEST *pci;
	int connected;
	int fresh;		  /* a blank to personalise: must be a card pcscd saw arrive */
	struct scp03_host *scp;	  /* the channel of an SCP03 stock */
	struct scp02_host *scp02; /* the channel of an SCP02 stock */
	struct chip_profile def;  /* the default stock, when the job names none */
	const struct chip_profile *prof;
	struct encoder_keys keys; /* the job's, with the stock's KMC */
	unsigned char atr[CHIP_ATR_MAX];
	size_t atr_len;
	unsigned char store_block; /* the next STORE DATA P2, as the stock numbers them */
	/* tracking the script for the read-back */
	unsigned char aid[16];
	size_t aid_len;
	uint16_t fid;
	unsigned char perso_aid[16];
	size_t perso_aid_len;
	unsigned char dgibuf[600];
	size_t ndgibuf;
	unsigned char store_p1;
	/* the applications the script personalised (INSTALL [for personalization]) */
	unsigned char inst_aids[LC_MAX_TRANSITIONS][LC_AID_MAX];
	size_t inst_lens[LC_MAX_TRANSITIONS];
	size_t ninst;
	int inst_overflow; /* more applications than the default step can name */
	struct check checks[MAX_CHECKS];
	size_t nchecks;
};

const char *
encoder_outcome_name(enum encoder_outcome o)
{
	switch (o) {
	case ENCODER_OK: return "ok";
	case ENCODER_NO_CARD: return "no-card";
	case ENCODER_CHIP_FAULT: return "chip";
	case ENCODER_PULLED: return "pulled";
	case ENCODER_MISMATCH: return "mismatch";
	case ENCODER_AUTH_FAILED: return "auth";
	case ENCODER_LOCKED: return "locked";
	case ENCODER_READER: return "reader";
	case ENCODER_BAD_SCRIPT: return "script";
	case ENCODER_LOCK_FAILED: return "lock-failed";
	case ENCODER_UNKNOWN_STOCK: return "stock";
	case ENCODER_CONFIG: return "config";
	}
	return "?";
}

enum encoder_fault
encoder_outcome_fault(enum encoder_outcome o)
{
	switch (o) {
	case ENCODER_OK: return ENCODER_FAULT_NONE;
	case ENCODER_READER:
	case ENCODER_BAD_SCRIPT:
	case ENCODER_CONFIG: return ENCODER_FAULT_LINE;
	default: return ENCODER_FAULT_CARD;
	}
}

static int
outcome_code(enum encoder_outcome o)
{
	switch (o) {
	case ENCODER_OK: return 0;
	case ENCODER_NO_CARD: return CP_ERR_TIMEOUT;
	case ENCODER_UNKNOWN_STOCK: return CP_ERR_UNSUPPORTED;
	case ENCODER_AUTH_FAILED: return CP_ERR_CRYPTO;
	case ENCODER_MISMATCH: return CP_ERR_INTEGRITY;
	case ENCODER_BAD_SCRIPT: return CP_ERR_FORMAT;
	case ENCODER_CONFIG: return CP_ERR_CONFIG;
	default: return CP_ERR_DEVICE;
	}
}

/* Record the outcome and reason once (the first failure is the cause). */
static int fail(struct run *rn, enum encoder_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int
fail(struct run *rn, enum encoder_outcome o, const char *fmt, ...)
{
	va_list ap;

	if (rn->res->outcome == ENCODER_OK) {
		rn->res->outcome = o;
		va_start(ap, fmt);
		vsnprintf(rn->res->reason, sizeof rn->res->reason, fmt, ap);
		va_end(ap);
	}
	return cp_err(outcome_code(rn->res->outcome), "%s", rn->res->reason);
}

int
encoder_open(const char *reader_prefix, int timeout_ms, struct encoder **out)
{
	struct encoder *e;
	char *readers = NULL, *found = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	LONG rv;
	struct buf names = BUF_INIT(4096);

	*out = NULL;
	if (!reader_prefix || !*reader_prefix)
		return cp_err(CP_ERR_CONFIG, "encoder.reader is empty: name the PC/SC reader");
	e = xcalloc(1, sizeof *e);
	e->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	e->last_events = -1;
	if ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &e->ctx)) !=
	    SCARD_S_SUCCESS) {
		free(e);
		return cp_err(CP_ERR_DEVICE, "PC/SC: %s (0x%08lX); is pcscd running?",
			      pcsc_stringify_error(rv), (unsigned long)rv);
	}
	rv = SCardListReaders(e->ctx, NULL, (LPSTR)&readers, &len);
	if (rv == SCARD_S_SUCCESS) {
		for (char *p = readers; *p; p += strlen(p) + 1) {
			if (!found && strncmp(p, reader_prefix, strlen(reader_prefix)) == 0)
				found = p;
			(void)buf_appendf(&names, "%s'%s'", names.len ? ", " : "", p);
		}
	}
	if (!found) {
		int r = cp_err(CP_ERR_NOTFOUND, "no PC/SC reader named '%s...' (readers: %s)",
			       reader_prefix, names.len ? buf_str(&names) : "none");
		if (readers)
			SCardFreeMemory(e->ctx, readers);
		SCardReleaseContext(e->ctx);
		buf_release(&names);
		free(e);
		return r;
	}
	e->reader = xstrdup(found);
	SCardFreeMemory(e->ctx, readers);
	buf_release(&names);
	*out = e;
	return 0;
}

int
encoder_open_config(const struct config *cfg, struct encoder **out)
{
	return encoder_open(config_str(cfg, "encoder.reader"),
			    (int)config_int(cfg, "encoder.timeout_ms"), out);
}

void
encoder_close(struct encoder *e)
{
	if (!e)
		return;
	SCardReleaseContext(e->ctx);
	free(e->reader);
	free(e);
}

const char *
encoder_reader_name(const struct encoder *e)
{
	return e->reader;
}

/* pcsc-lite counts a reader's card insertions and removals in dwEventState's high bits. */
#define EVENT_COUNT(state) ((long)(((state) >> 16) & 0xFFFF))

/* Wait up to ms for the reader's state to have (want_present) or lack a card; a card
 * present counts only when pcscd's event count differs from skip_events (-1: any).
 * Returns 1 when reached (*events: the count then), 0 on timeout, <0 for a reader
 * failure. *mute: the card did not answer. */
static int
wait_card(struct encoder *e, int want_present, int ms, long skip_events, long *events, int *mute,
	  LONG *err)
{
	SCARD_READERSTATE st;
	long deadline = cp_mono_ms() + ms, left = 0;
	LONG rv;

	memset(&st, 0, sizeof st);
	st.szReader = e->reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	*mute = 0;
	*err = 0;
	for (;;) {
		/* The first call reads the current state; later ones wait for a change, the
		 * whole wait bounded by ms (events such as the reader's counter may come). */
		rv = SCardGetStatusChange(e->ctx, (DWORD)left, &st, 1);
		if (rv == SCARD_E_TIMEOUT)
			return 0;
		if (rv != SCARD_S_SUCCESS) {
			*err = rv;
			return -1;
		}
		*mute = (st.dwEventState & SCARD_STATE_MUTE) != 0;
		if (events)
			*events = EVENT_COUNT(st.dwEventState);
		if (!want_present && (st.dwEventState & SCARD_STATE_EMPTY))
			return 1;
		if (want_present && (st.dwEventState & (SCARD_STATE_PRESENT | SCARD_STATE_MUTE)) &&
		    (skip_events < 0 || EVENT_COUNT(st.dwEventState) != skip_events))
			return 1;
		st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		if ((left = deadline - cp_mono_ms()) <= 0)
			return 0;
	}
}

static int
wait_state(struct encoder *e, int want_present, int ms, int *mute, LONG *err)
{
	return wait_card(e, want_present, ms, -1, NULL, mute, err);
}

int
encoder_card_present(struct encoder *e, int settle_ms)
{
	int mute, w;
	LONG err;

	w = wait_state(e, 0, settle_ms > 0 ? settle_ms : 0, &mute, &err);
	if (w < 0)
		return cp_err(CP_ERR_DEVICE, "reader '%s': %s (0x%08lX)", e->reader,
			      pcsc_stringify_error(err), (unsigned long)err);
	return !w;
}

/* A PC/SC failure in the middle of a card: pulled when the reader is (soon) empty. */
static int
pcsc_fail(struct run *rn, LONG rv, const char *what)
{
	int mute, present;
	LONG err;

	if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD)
		return fail(rn, ENCODER_PULLED, "card removed during %s (%s)", what,
			    pcsc_stringify_error(rv));
	if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	    rv == SCARD_E_READER_UNAVAILABLE || rv == SCARD_E_UNKNOWN_READER ||
	    rv == SCARD_E_INVALID_HANDLE || rv == SCARD_E_NO_READERS_AVAILABLE)
		return fail(rn, ENCODER_READER, "reader failed during %s: %s (0x%08lX)", what,
			    pcsc_stringify_error(rv), (unsigned long)rv);
	/* A transmission error: vpcd and real readers report the card leaving a moment later. */
	present = wait_state(rn->e, 0, 1500, &mute, &err);
	if (present == 1)
		return fail(rn, ENCODER_PULLED, "card pulled during %s (%s)", what,
			    pcsc_stringify_error(rv));
	return fail(rn, ENCODER_CHIP_FAULT, "chip did not answer %s: %s (0x%08lX)", what,
		    pcsc_stringify_error(rv), (unsigned long)rv);
}

/* A response without a status word: the card left (vpcd answers nothing once the card's
 * connection is gone), or a chip that does not answer properly. */
static int
short_response(struct run *rn, DWORD n, const char *what)
{
	int mute;
	LONG err;

	if (wait_state(rn->e, 0, 1500, &mute, &err) == 1)
		return fail(rn, ENCODER_PULLED, "card pulled during %s (no response)", what);
	return fail(rn, ENCODER_CHIP_FAULT, "%s: response of %lu bytes (no status word)", what,
		    (unsigned long)n);
}

/* Send one APDU as it is; resp gets data || SW. Handles 61xx and 6Cxx (T=0 style). */
static int
xmit(struct run *rn, const unsigned char *cmd, size_t len, unsigned char *resp, size_t *rlen,
     const char *what)
{
	unsigned char buf[SCP03_APDU_MAX + 2];
	DWORD n = SCP03_RESP_MAX + 2;
	LONG rv;

	if (len > sizeof buf)
		return fail(rn, ENCODER_CHIP_FAULT, "%s: APDU of %zu bytes", what, len);
	memcpy(buf, cmd, len);
	rv = SCardTransmit(rn->card, rn->pci, buf, (DWORD)len, NULL, resp, &n);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(rn, rv, what);
	if (n < 2)
		return short_response(rn, n, what);
	if (resp[n - 2] == 0x6C && len == 5) {
		buf[4] = resp[n - 1]; /* wrong Le: the card says the right one */
		n = SCP03_RESP_MAX + 2;
		if ((rv = SCardTransmit(rn->card, rn->pci, buf, 5, NULL, resp, &n)) !=
		    SCARD_S_SUCCESS)
			return pcsc_fail(rn, rv, what);
	}
	if (n >= 2 && resp[n - 2] == 0x61) {
		unsigned char gr[5] = {0x00, 0xC0, 0x00, 0x00, resp[n - 1]};
		n = SCP03_RESP_MAX + 2;
		if ((rv = SCardTransmit(rn->card, rn->pci, gr, 5, NULL, resp, &n)) !=
		    SCARD_S_SUCCESS)
			return pcsc_fail(rn, rv, what);
	}
	if (n < 2)
		return short_response(rn, n, what);
	*rlen = n;
	return 0;
}

static void
hexs(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	size_t m = n * 2 + 1 <= outsz ? n : (outsz - 1) / 2;

	hex_encode(p, m, out);
}

static int
sw_failure(struct run *rn, uint16_t sw, const char *what)
{
	if (sw == SW_NO_DIAGNOSIS || (sw & 0xFF00) == 0x6F00 || sw == SW_MEMORY_FAILURE)
		return fail(rn, ENCODER_CHIP_FAULT, "%s: chip fault, SW %s", what,
			    apdu_sw_text(sw));
	return fail(rn, ENCODER_CHIP_FAULT, "%s: SW %s", what, apdu_sw_text(sw));
}

static int
connect_card(struct run *rn)
{
	struct encoder *e = rn->e;
	unsigned char atr[MAX_ATR_SIZE];
	DWORD proto = 0, atrlen = sizeof atr, state, rlen = 0;
	long events = -1;
	int mute, w;
	LONG rv, err;

	w = wait_card(e, 1, e->timeout_ms, rn->fresh ? e->last_events : -1, &events, &mute, &err);
	if (w < 0)
		return fail(rn, ENCODER_READER, "reader '%s': %s (0x%08lX)", e->reader,
			    pcsc_stringify_error(err), (unsigned long)err);
	if (w == 0)
		return fail(rn, ENCODER_NO_CARD, "no %scard in reader '%s' after %d ms",
			    rn->fresh && e->last_events >= 0 ? "new " : "", e->reader,
			    e->timeout_ms);
	e->last_events = events;
	rv = SCardConnect(e->ctx, e->reader, SCARD_SHARE_EXCLUSIVE,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &rn->card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		if (rv == SCARD_W_UNRESPONSIVE_CARD || rv == SCARD_W_UNPOWERED_CARD ||
		    rv == SCARD_E_PROTO_MISMATCH || mute)
			return fail(rn, ENCODER_CHIP_FAULT,
				    "chip does not answer reset (no valid ATR): %s",
				    pcsc_stringify_error(rv));
		if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD)
			return fail(rn, ENCODER_PULLED,
				    "card left the reader before connecting (%s)",
				    pcsc_stringify_error(rv));
		return fail(rn, ENCODER_READER, "connect to '%s': %s (0x%08lX)", e->reader,
			    pcsc_stringify_error(rv), (unsigned long)rv);
	}
	rn->connected = 1;
	rn->pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rv = SCardStatus(rn->card, NULL, &rlen, &state, &proto, atr, &atrlen);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(rn, rv, "reading the ATR");
	if (atrlen < 2 || (atr[0] != 0x3B && atr[0] != 0x3F))
		return fail(rn, ENCODER_CHIP_FAULT, "invalid ATR (%lu bytes)",
			    (unsigned long)atrlen);
	hexs(atr, atrlen, rn->res->atr, sizeof rn->res->atr);
	rn->atr_len = atrlen < sizeof rn->atr ? atrlen : sizeof rn->atr;
	memcpy(rn->atr, atr, rn->atr_len);
	return 0;
}

/* SELECT by AID; fci (optional) gets the answer's data. */
static int
select_aid(struct run *rn, const unsigned char *aid, size_t len, const char *what,
	   unsigned char *fci, size_t *fci_len)
{
	unsigned char cmd[5 + 16 + 1], resp[SCP03_RESP_MAX + 2];
	size_t rlen;
	uint16_t sw;
	int r;

	cmd[0] = 0x00;
	cmd[1] = 0xA4;
	cmd[2] = 0x04;
	cmd[3] = 0x00;
	cmd[4] = (unsigned char)len;
	memcpy(cmd + 5, aid, len);
	cmd[5 + len] = 0x00;
	if ((r = xmit(rn, cmd, 6 + len, resp, &rlen, what)) < 0)
		return r;
	if ((sw = apdu_resp_sw(resp, rlen)) != SW_OK)
		return sw_failure(rn, sw, what);
	if (fci) {
		memcpy(fci, resp, rlen - 2);
		*fci_len = rlen - 2;
	}
	return 0;
}

/* The A5 template inside an FCI (6F { 84 AID, A5 {...} }): its value, or -1. */
static int
fci_a5(const unsigned char *fci, size_t n, const unsigned char **a5, size_t *len)
{
	unsigned tag;
	size_t off, vlen, i;

	if (tlv_next(fci, n, &tag, &off, &vlen) < 0 || tag != 0x6F)
		return -1;
	fci += off;
	n = vlen;
	for (i = 0; i < n;) {
		if (tlv_next(fci + i, n - i, &tag, &off, &vlen) < 0)
			return -1;
		if (tag == 0xA5) {
			*a5 = fci + i + off;
			*len = vlen;
			return 0;
		}
		i += off + vlen;
	}
	return -1;
}

/* The card's static keys as its stock diversifies them from the KMC. */
static int
card_keys(struct run *rn, const unsigned char kdd[10], unsigned char *enc, unsigned char *mac,
	  unsigned char *dek, size_t *key_len)
{
	return chip_profile_static_keys(rn->prof, rn->keys.kmc, rn->keys.kmc_len, kdd, enc, mac,
					dek, key_len);
}

/* The INITIALIZE UPDATE answer of an SCP03 stock: session, card cryptogram. */
static int
begin_scp03(struct run *rn, const unsigned char hc[8], const unsigned char *resp, size_t len)
{
	struct scp03_init_response ir;
	struct scp03_keys sk;
	int r;

	if (scp03_parse_init_response(resp, len, &ir) < 0)
		return fail(rn, ENCODER_CHIP_FAULT, "INITIALIZE UPDATE response: %s (stock %s)",
			    cp_errmsg(), rn->prof->name);
	memset(&sk, 0, sizeof sk);
	if (card_keys(rn, ir.kdd, sk.enc, sk.mac, sk.dek, &sk.key_len) < 0) {
		cp_memzero(&sk, sizeof sk);
		return fail(rn, ENCODER_CONFIG, "%s keys of stock %s from the KMC: %s",
			    chip_div_name(rn->prof->div), rn->prof->name, cp_errmsg());
	}
	sk.kvn = ir.kvn;
	r = scp03_host_new(&sk, &rn->scp);
	cp_memzero(&sk, sizeof sk);
	if (r < 0)
		return fail(rn, ENCODER_READER, "SCP03 session: %s", cp_errmsg());
	if ((r = scp03_host_begin(rn->scp, hc, resp, len)) < 0) {
		if (r == CP_ERR_CRYPTO)
			return fail(rn, ENCODER_AUTH_FAILED,
				    "card cryptogram does not verify: wrong KMC, or not one of our "
				    "chips (KDD %02X%02X...)",
				    ir.kdd[0], ir.kdd[1]);
		return fail(rn, ENCODER_CHIP_FAULT, "INITIALIZE UPDATE: %s", cp_errmsg());
	}
	return 0;
}

/* The same for an SCP02 stock (28 bytes: KDD, KVN, 02, sequence counter, challenge). */
static int
begin_scp02(struct run *rn, const unsigned char hc[8], const unsigned char *resp, size_t len)
{
	struct scp02_keys sk;
	size_t kl = 0;
	int r;

	if (len != 28 || resp[11] != 0x02)
		return fail(rn, ENCODER_CHIP_FAULT,
			    "INITIALIZE UPDATE response of %zu bytes%s: not SCP02 as stock %s says",
			    len, len == 28 ? " naming another SCP" : "", rn->prof->name);
	memset(&sk, 0, sizeof sk);
	{
		unsigned char enc[32], mac[32], dek[32];
		r = card_keys(rn, resp, enc, mac, dek, &kl);
		memcpy(sk.enc, enc, 16);
		memcpy(sk.mac, mac, 16);
		memcpy(sk.dek, dek, 16);
		cp_memzero(enc, sizeof enc);
		cp_memzero(mac, sizeof mac);
		cp_memzero(dek, sizeof dek);
	}
	if (r < 0 || kl != 16) {
		cp_memzero(&sk, sizeof sk);
		return fail(rn, ENCODER_CONFIG, "%s keys of stock %s from the KMC: %s",
			    chip_div_name(rn->prof->div), rn->prof->name,
			    r < 0 ? cp_errmsg() : "not 3DES keys");
	}
	sk.kvn = resp[10];
	r = scp02_host_new(&sk, rn->prof->i_param, &rn->scp02);
	cp_memzero(&sk, sizeof sk);
	if (r < 0)
		return fail(rn, ENCODER_READER, "SCP02 session: %s", cp_errmsg());
	if ((r = scp02_host_begin(rn->scp02, hc, resp, len)) < 0) {
		if (r == CP_ERR_CRYPTO)
			return fail(rn, ENCODER_AUTH_FAILED,
				    "card cryptogram does not verify: wrong KMC, or not one of our "
				    "chips (KDD %02X%02X...)",
				    resp[0], resp[1]);
		return fail(rn, ENCODER_CHIP_FAULT, "INITIALIZE UPDATE: %s", cp_errmsg());
	}
	return 0;
}

static void
channel_free(struct run *rn)
{
	scp03_host_free(rn->scp);
	rn->scp = NULL;
	scp02_host_free(rn->scp02);
	rn->scp02 = NULL;
}

/* SELECT the stock's ISD, INITIALIZE UPDATE, its keys from the KMC, the card cryptogram,
 * EXTERNAL AUTHENTICATE at the stock's security level (SCP03 or SCP02). */
static int
open_channel(struct run *rn)
{
	const struct chip_profile *p = rn->prof;
	unsigned char hc[8], cmd[SCP03_APDU_MAX], resp[SCP03_RESP_MAX + 2];
	unsigned char kvn = rn->keys.kvn ? rn->keys.kvn : p->kvn;
	size_t rlen, clen;
	uint16_t sw;
	int r;

	channel_free(rn);
	if ((r = select_aid(rn, p->isd_aid, p->isd_aid_len, "SELECT issuer security domain", NULL,
			    NULL)) < 0)
		return r;
	if (cp_random_bytes(hc, sizeof hc) < 0)
		return fail(rn, ENCODER_READER, "no random host challenge (OpenSSL RAND)");
	scp03_init_update_apdu(kvn, hc, cmd); /* 80 50 KVN 00 08 challenge 00: both SCPs */
	if ((r = xmit(rn, cmd, 14, resp, &rlen, "INITIALIZE UPDATE")) < 0)
		return r;
	sw = apdu_resp_sw(resp, rlen);
	if (sw == SW_AUTH_BLOCKED)
		return fail(rn, ENCODER_LOCKED, "INITIALIZE UPDATE: SW %s: the chip is locked",
			    apdu_sw_text(sw));
	if (sw == SW_DATA_NOT_FOUND)
		return fail(rn, ENCODER_CONFIG,
			    "the chip has no key set version %02X (INITIALIZE UPDATE: SW 6A88): "
			    "check the kvn of chip profile %s and the batch of blanks",
			    kvn, p->name);
	if (sw != SW_OK)
		return sw_failure(rn, sw, "INITIALIZE UPDATE");
	r = p->scp == CHIP_SCP02 ? begin_scp02(rn, hc, resp, rlen - 2)
				 : begin_scp03(rn, hc, resp, rlen - 2);
	if (r < 0)
		return r;
	r = p->scp == CHIP_SCP02
		    ? scp02_host_external_auth(rn->scp02, p->security_level, cmd, &clen)
		    : scp03_host_external_auth(rn->scp, p->security_level, cmd, &clen);
	if (r < 0)
		return fail(rn, ENCODER_READER, "EXTERNAL AUTHENTICATE: %s", cp_errmsg());
	if ((r = xmit(rn, cmd, clen, resp, &rlen, "EXTERNAL AUTHENTICATE")) < 0)
		return r;
	sw = apdu_resp_sw(resp, rlen);
	if (sw == SW_AUTH_FAILED || sw == SW_SECURITY_STATUS)
		return fail(rn, ENCODER_AUTH_FAILED, "EXTERNAL AUTHENTICATE refused: SW %s",
			    apdu_sw_text(sw));
	if (sw != SW_OK)
		return sw_failure(rn, sw, "EXTERNAL AUTHENTICATE");
	return 0;
}

/* The channel's wrap, unwrap (SCP02 responses come back plain) and DEK encryption. */
static int
sc_wrap(struct run *rn, const unsigned char *cmd, size_t len, unsigned char *out, size_t size,
	size_t *olen)
{
	return rn->scp02 ? scp02_host_wrap(rn->scp02, cmd, len, out, size, olen)
			 : scp03_host_wrap(rn->scp, cmd, len, out, size, olen);
}

static int
sc_unwrap(struct run *rn, const unsigned char *resp, size_t len, unsigned char *out, size_t size,
	  size_t *olen)
{
	if (!rn->scp02)
		return scp03_host_unwrap(rn->scp, resp, len, out, size, olen);
	if (len > size)
		return cp_err(CP_ERR_LIMIT, "response of %zu bytes", len);
	memcpy(out, resp, len);
	*olen = len;
	return 0;
}

static int
sc_dek_encrypt(struct run *rn, const unsigned char *in, size_t len, unsigned char *out)
{
	return rn->scp02 ? scp02_host_dek_encrypt(rn->scp02, in, len, out)
			 : scp03_host_dek_encrypt(rn->scp, in, len, out);
}

/* Is aid one of the stock's applications? */
static int
stock_has_app(const struct chip_profile *p, const unsigned char *aid, size_t len)
{
	for (size_t i = 0; i < p->napps; i++)
		if (p->apps[i].aid_len == len && memcmp(p->apps[i].aid, aid, len) == 0)
			return 1;
	return 0;
}

/* A script command as the stock wants it: STORE DATA's encryption indication and block
 * number follow the stock's conventions; an INSTALL must name one of its applications. */
static int
adapt(struct run *rn, unsigned char *cmd, const struct encoder_cmd *ec, const char *what)
{
	const struct chip_profile *p = rn->prof;
	int is_gp = (cmd[0] & 0x80) && ec->len > 5;

	if (is_gp && (size_t)cmd[4] + 5 > ec->len)
		return fail(rn, ENCODER_BAD_SCRIPT, "%s: Lc %u is longer than the APDU (%zu bytes)",
			    what, cmd[4], ec->len);

	if (is_gp && cmd[1] == 0xE6 && cmd[2] == 0x20) {
		size_t lc = cmd[4], l = lc >= 3 ? cmd[7] : 0;
		if (lc < 3 || 3 + l > lc || !stock_has_app(p, cmd + 8, l))
			return fail(rn, ENCODER_BAD_SCRIPT,
				    "%s: installs an application that stock %s does not carry",
				    what, p->name);
		if (p->store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
			rn->store_block = 0;
	} else if (is_gp && cmd[1] == 0xE2) {
		if (p->store_enc == CHIP_STORE_ENC_EXPLICIT)
			cmd[2] = (unsigned char)((cmd[2] & ~0x60) | (ec->sens_len ? 0x60 : 0x00));
		cmd[3] = rn->store_block;
		rn->store_block = (unsigned char)(rn->store_block + 1);
		if ((cmd[2] & 0x80) && p->store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
			rn->store_block = 0;
	}
	return 0;
}

static void
add_check(struct run *rn, const unsigned char *aid, size_t aid_len, uint16_t fid, unsigned char sfi,
	  unsigned char rec, int fci, const unsigned char *data, size_t len, const char *label)
{
	struct check *c = NULL;

	/* A later write of the same record replaces the earlier expectation. */
	for (size_t i = 0; i < rn->nchecks; i++)
		if (rn->checks[i].aid_len == aid_len && !memcmp(rn->checks[i].aid, aid, aid_len) &&
		    rn->checks[i].fid == fid && rn->checks[i].sfi == sfi &&
		    rn->checks[i].rec == rec)
			c = &rn->checks[i];
	if (!c) {
		if (rn->nchecks >= MAX_CHECKS || aid_len > sizeof c->aid || len > sizeof c->data)
			return;
		c = &rn->checks[rn->nchecks++];
	}
	memcpy(c->aid, aid, aid_len);
	c->aid_len = aid_len;
	c->fid = fid;
	c->sfi = sfi;
	c->rec = rec;
	c->fci = fci;
	memcpy(c->data, data, len);
	c->len = len;
	snprintf(c->label, sizeof c->label, "%s", label);
}

/* An application the script personalises, for the life cycle step (each once). */
static void
note_installed(struct run *rn, const unsigned char *aid, size_t len)
{
	for (size_t i = 0; i < rn->ninst; i++)
		if (rn->inst_lens[i] == len && memcmp(rn->inst_aids[i], aid, len) == 0)
			return;
	if (rn->ninst >= LC_MAX_TRANSITIONS - 1 || len > LC_AID_MAX) {
		rn->inst_overflow = 1;
		return;
	}
	memcpy(rn->inst_aids[rn->ninst], aid, len);
	rn->inst_lens[rn->ninst++] = len;
}

/* Learn from a plain script command what the chip must hold afterwards. */
static void
track(struct run *rn, const unsigned char *c, size_t len)
{
	const unsigned char *d = c + 5;
	size_t lc = len > 5 ? c[4] : 0;
	char label[48];

	if (len < 4 || lc + 5 > len)
		return;
	if (c[1] == 0xA4 && c[2] == 0x04 && lc <= 16) {
		memcpy(rn->aid, d, lc);
		rn->aid_len = lc;
		rn->fid = 0;
	} else if (c[1] == 0xA4 && (c[2] == 0x00 || c[2] == 0x02) && lc == 2) {
		rn->fid = (uint16_t)(d[0] << 8 | d[1]);
	} else if (c[1] == 0xDC && (c[0] & 0x80) == 0 && lc && (c[3] & 7) == 4) {
		unsigned char sfi = c[3] >> 3;
		snprintf(label, sizeof label, "%s%04X record %u", sfi ? "SFI " : "EF ",
			 sfi ? sfi : rn->fid, c[2]);
		add_check(rn, rn->aid, rn->aid_len, sfi ? 0 : rn->fid, sfi, c[2], 0, d, lc, label);
	} else if (c[0] & 0x80 && c[1] == 0xE6 && c[2] == 0x20 && lc >= 3 && d[2] <= 16 &&
		   (size_t)d[2] + 3 <= lc) {
		memcpy(rn->perso_aid, d + 3, d[2]);
		rn->perso_aid_len = d[2];
		rn->ndgibuf = 0;
		note_installed(rn, d + 3, d[2]);
	} else if (c[0] & 0x80 && c[1] == 0xE2 && lc && rn->perso_aid_len) {
		/* STORE DATA: plain record DGIs of SFI 01..0A (the EMV application files,
		 * record 01..) are read back, those of SFI 0B..1E are not (among them CPS
		 * 0D01 and 0E01, card-internal data that READ RECORD never returns). */
		size_t i = 0;
		unsigned enc = (c[2] >> 5) & 3;
		if (rn->ndgibuf + lc > sizeof rn->dgibuf) {
			rn->ndgibuf = 0;
			return;
		}
		memcpy(rn->dgibuf + rn->ndgibuf, d, lc);
		rn->ndgibuf += lc;
		while (rn->ndgibuf - i >= 3) {
			unsigned tag = (unsigned)(rn->dgibuf[i] << 8 | rn->dgibuf[i + 1]);
			size_t l = rn->dgibuf[i + 2], h = 3;
			if (l == 0xFF) {
				if (rn->ndgibuf - i < 5)
					break;
				l = (size_t)rn->dgibuf[i + 3] << 8 | rn->dgibuf[i + 4];
				h = 5;
			}
			if (rn->ndgibuf - i - h < l)
				break;
			/* P1 b7b6: 11 all encrypted, 01 the 8xxx DGIs (as the card decides). */
			int secret = enc == 3 || (enc == 1 && (tag & 0xF000) == 0x8000);
			if (!secret && (tag >> 8) >= 1 && (tag >> 8) <= 0x0A && (tag & 0xFF)) {
				snprintf(label, sizeof label, "DGI %04X", tag);
				add_check(rn, rn->perso_aid, rn->perso_aid_len, 0,
					  (unsigned char)(tag >> 8), (unsigned char)tag, 0,
					  rn->dgibuf + i + h, l, label);
			} else if (!secret && tag == 0x9102) {
				/* EMV CPS: DGI 9102 is the FCI proprietary template (A5). */
				snprintf(label, sizeof label, "DGI 9102 (FCI)");
				add_check(rn, rn->perso_aid, rn->perso_aid_len, 0, 0, 0, 1,
					  rn->dgibuf + i + h, l, label);
			}
			i += h + l;
		}
		memmove(rn->dgibuf, rn->dgibuf + i, rn->ndgibuf - i);
		rn->ndgibuf -= i;
		if (c[2] & 0x80)
			rn->ndgibuf = 0;
	}
}

/* Re-encrypt the sensitive bytes of cmd from the transport key to the chip's DEK. */
static int
translate(struct run *rn, const struct encoder_keys *k, const struct encoder_cmd *ec,
	  unsigned char *cmd, const char *what)
{
	unsigned char plain[256];
	enum cp_alg alg = (enum cp_alg)k->transport_alg;
	size_t lc = cmd[4];
	int r;

	if (ec->len < 5 || ec->sens_off + ec->sens_len > lc || ec->sens_len % 16)
		return fail(rn, ENCODER_BAD_SCRIPT,
			    "%s: sensitive range %zu+%zu does not fit the data "
			    "(%zu bytes, whole AES blocks)",
			    what, ec->sens_off, ec->sens_len, lc);
	if (!k->transport || cp_check_key_len(alg, k->transport_len) < 0)
		return fail(rn, ENCODER_READER, "%s: no usable line transport key", what);
	r = cp_cbc_decrypt(alg, k->transport, k->transport_len, NULL, cmd + 5 + ec->sens_off,
			   ec->sens_len, plain);
	if (r == 0)
		r = sc_dek_encrypt(rn, plain, ec->sens_len, cmd + 5 + ec->sens_off);
	cp_memzero(plain, sizeof plain);
	if (r < 0)
		return fail(rn, ENCODER_READER, "%s: re-encrypting for the chip: %s", what,
			    cp_errmsg());
	return 0;
}

static int
sw_expected(const struct encoder_cmd *ec, uint16_t sw)
{
	if (ec->n_sw == 0)
		return sw == SW_OK;
	for (size_t i = 0; i < ec->n_sw && i < 4; i++)
		if (ec->sw[i] == sw)
			return 1;
	return 0;
}

static int
run_script(struct run *rn, const struct encoder_job *job)
{
	unsigned char cmd[SCP03_APDU_MAX], wrapped[SCP03_APDU_MAX], resp[SCP03_RESP_MAX + 2];
	unsigned char plain[SCP03_RESP_MAX + 2];
	struct encoder_cmd ec;
	size_t wlen, rlen, plen;
	unsigned no = 0;
	char what[96];
	int r = 0, more;

	while ((more = job->script.next(job->script.ctx, &ec)) > 0) {
		uint16_t sw;
		no++;
		snprintf(what, sizeof what, "script command %u%s%s%s", no, ec.label ? " (" : "",
			 ec.label ? ec.label : "", ec.label ? ")" : "");
		if (ec.len < 4 || ec.len > SCP03_APDU_MAX) {
			r = fail(rn, ENCODER_BAD_SCRIPT, "%s: APDU of %zu bytes", what, ec.len);
			break;
		}
		memcpy(cmd, ec.apdu, ec.len);
		if ((r = adapt(rn, cmd, &ec, what)) < 0)
			break;
		track(rn, cmd, ec.len);
		if (ec.sens_len && (r = translate(rn, &rn->keys, &ec, cmd, what)) < 0)
			break;
		r = sc_wrap(rn, cmd, ec.len, wrapped, sizeof wrapped, &wlen);
		cp_memzero(cmd, sizeof cmd);
		if (r < 0) {
			r = fail(rn, ENCODER_BAD_SCRIPT, "%s: cannot be wrapped: %s", what,
				 cp_errmsg());
			break;
		}
		r = xmit(rn, wrapped, wlen, resp, &rlen, what);
		cp_memzero(wrapped, sizeof wrapped);
		if (r < 0)
			break;
		rn->res->n_apdus++;
		if (sc_unwrap(rn, resp, rlen, plain, sizeof plain, &plen) < 0) {
			r = fail(rn, ENCODER_CHIP_FAULT, "%s: response does not verify: %s", what,
				 cp_errmsg());
			break;
		}
		sw = apdu_resp_sw(plain, plen);
		if (!sw_expected(&ec, sw)) {
			if (sw == SW_ALREADY_PERSONALISED)
				r = fail(rn, ENCODER_LOCKED,
					 "%s: SW %s: the chip is already "
					 "personalised",
					 what, apdu_sw_text(sw));
			else
				r = sw_failure(rn, sw, what);
			break;
		}
	}
	if (more < 0 && r == 0)
		r = fail(rn, ENCODER_BAD_SCRIPT, "perso script of card %s: %s",
			 job->card_no ? job->card_no : "?", cp_errmsg());
	return r;
}

/* SELECT aid [fid], READ RECORD: rec gets the record (no SW). */
static int
read_record(struct run *rn, const unsigned char *aid, size_t aid_len, uint16_t fid,
	    unsigned char sfi, unsigned char no, unsigned char *rec, size_t *len, const char *what)
{
	unsigned char cmd[7], resp[SCP03_RESP_MAX + 2];
	size_t rlen;
	uint16_t sw;
	int r;

	if ((r = select_aid(rn, aid, aid_len, what, NULL, NULL)) < 0)
		return r;
	if (fid && !sfi) {
		unsigned char sel[7] = {0x00,
					0xA4,
					0x00,
					0x0C,
					0x02,
					(unsigned char)(fid >> 8),
					(unsigned char)fid};
		if ((r = xmit(rn, sel, sizeof sel, resp, &rlen, what)) < 0)
			return r;
		if ((sw = apdu_resp_sw(resp, rlen)) != SW_OK)
			return fail(rn, ENCODER_MISMATCH, "%s: SELECT %04X: SW %s", what, fid,
				    apdu_sw_text(sw));
	}
	cmd[0] = 0x00;
	cmd[1] = 0xB2;
	cmd[2] = no;
	cmd[3] = (unsigned char)(sfi << 3 | 4);
	cmd[4] = 0x00;
	if ((r = xmit(rn, cmd, 5, resp, &rlen, what)) < 0)
		return r;
	if ((sw = apdu_resp_sw(resp, rlen)) != SW_OK)
		return fail(rn, ENCODER_MISMATCH, "%s: READ RECORD: SW %s", what, apdu_sw_text(sw));
	*len = rlen - 2;
	memcpy(rec, resp, *len);
	return 0;
}

static int
compare(struct run *rn, const char *label, const unsigned char *got, size_t glen,
	const unsigned char *want, size_t wlen)
{
	char g[41], w[41];

	rn->res->n_checked++;
	if (glen == wlen && memcmp(got, want, wlen) == 0)
		return 0;
	/* Show where they differ, a few bytes only (records may hold personal data). */
	size_t i = 0;
	while (i < glen && i < wlen && got[i] == want[i])
		i++;
	hexs(got + i, glen - i > 4 ? 4 : glen - i, g, sizeof g);
	hexs(want + i, wlen - i > 4 ? 4 : wlen - i, w, sizeof w);
	return fail(rn, ENCODER_MISMATCH,
		    "read-back of %s differs at byte %zu (read %zu bytes ..%s.., "
		    "expected %zu bytes ..%s..)",
		    label, i, glen, g, wlen, w);
}

static int
read_back(struct run *rn, const struct encoder_expect *ex, size_t nex)
{
	unsigned char rec[SCP03_RESP_MAX];
	size_t len;
	int r;

	for (size_t i = 0; i < rn->nchecks; i++) {
		const struct check *c = &rn->checks[i];
		if (c->fci) {
			const unsigned char *a5;
			size_t a5len;
			if ((r = select_aid(rn, c->aid, c->aid_len, c->label, rec, &len)) < 0)
				return r;
			if (fci_a5(rec, len, &a5, &a5len) < 0)
				return fail(rn, ENCODER_MISMATCH,
					    "read-back of %s: the SELECT answer "
					    "has no FCI proprietary template",
					    c->label);
			if ((r = compare(rn, c->label, a5, a5len, c->data, c->len)) < 0)
				return r;
			continue;
		}
		if ((r = read_record(rn, c->aid, c->aid_len, c->fid, c->sfi, c->rec, rec, &len,
				     c->label)) < 0 ||
		    (r = compare(rn, c->label, rec, len, c->data, c->len)) < 0)
			return r;
	}
	for (size_t i = 0; i < nex; i++) {
		const char *label = ex[i].label ? ex[i].label : "expected record";
		if ((r = read_record(rn, ex[i].aid, ex[i].aid_len, ex[i].fid, 0, ex[i].rec, rec,
				     &len, label)) < 0 ||
		    (r = compare(rn, label, rec, len, ex[i].expect, ex[i].len)) < 0)
			return r;
	}
	/* The card identifier 卡识别码: EF05 record 1, tag 01, 16 bytes. */
	if ((r = read_record(rn, ssse_aid, sizeof ssse_aid, 0xEF05, 0, 1, rec, &len,
			     "EF05 record 1 (card identifier)")) < 0)
		return r;
	if (len != 18 || rec[0] != 0x01 || rec[1] != 16)
		return fail(rn, ENCODER_MISMATCH,
			    "EF05 record 1 is not a card identifier (%zu bytes, "
			    "tag %02X)",
			    len, len ? rec[0] : 0);
	hex_encode(rec + 2, 16, rn->res->card_id);
	return 0;
}

/* One command through the open secure channel: plain gets the unwrapped data || SW. */
static int
secure_xmit(struct run *rn, const unsigned char *cmd, size_t len, unsigned char *plain,
	    size_t *plen, const char *what)
{
	unsigned char wrapped[SCP03_APDU_MAX], resp[SCP03_RESP_MAX + 2];
	size_t wlen, rlen;
	int r;

	if (sc_wrap(rn, cmd, len, wrapped, sizeof wrapped, &wlen) < 0)
		return fail(rn, ENCODER_READER, "%s: cannot be wrapped: %s", what, cp_errmsg());
	if ((r = xmit(rn, wrapped, wlen, resp, &rlen, what)) < 0)
		return r;
	if (sc_unwrap(rn, resp, rlen, plain, SCP03_RESP_MAX + 2, plen) < 0)
		return fail(rn, ENCODER_CHIP_FAULT, "%s: response does not verify: %s", what,
			    cp_errmsg());
	return 0;
}

/* GET STATUS (P2 02, TLV) of one subset, every page (6310: more data). */
static int
get_status(struct run *rn, unsigned char p1, struct lc_entry *e, size_t max, size_t *n)
{
	unsigned char cmd[8] = {0x80, 0xF2, p1, 0x02, 0x02, 0x4F, 0x00, 0x00};
	unsigned char plain[SCP03_RESP_MAX + 2];
	char what[32];
	size_t plen;
	uint16_t sw;
	int r;

	snprintf(what, sizeof what, "GET STATUS P1 %02X", p1);
	*n = 0;
	for (int page = 0; page < 16; page++) {
		cmd[3] = page ? 0x03 : 0x02; /* then "next occurrences" */
		if ((r = secure_xmit(rn, cmd, sizeof cmd, plain, &plen, what)) < 0)
			return r;
		sw = apdu_resp_sw(plain, plen);
		if (sw != SW_OK && sw != SW_MORE_DATA)
			return fail(rn, ENCODER_LOCK_FAILED, "%s: SW %s", what, apdu_sw_text(sw));
		if (lc_parse_status(plain, plen - 2, e, max, n) < 0)
			return fail(rn, ENCODER_LOCK_FAILED, "%s: %s", what, cp_errmsg());
		if (sw == SW_OK)
			return 0;
	}
	return fail(rn, ENCODER_LOCK_FAILED, "%s: still more data after 16 pages", what);
}

/* After the lock, GET STATUS must show the states just set. */
static int
check_states(struct run *rn, const struct lc_transition *t, size_t nt)
{
	struct lc_entry isd[2], apps[16];
	size_t ni, na = 0, i, j;
	int card_set = -1, r;
	char tx[48];

	if ((r = get_status(rn, LC_P1_ISD, isd, 2, &ni)) < 0)
		return r;
	if (ni != 1)
		return fail(rn, ENCODER_LOCK_FAILED, "GET STATUS P1 80 gave %zu entries, not 1",
			    ni);
	rn->res->card_state = isd[0].state;
	for (i = 0; i < nt; i++)
		if (t[i].p1 == LC_P1_ISD)
			card_set = t[i].p2;
	if (card_set >= 0 && isd[0].state != card_set)
		return fail(rn, ENCODER_LOCK_FAILED,
			    "after the lock the card is %02X (%s), not %02X", isd[0].state,
			    lc_card_state_name(isd[0].state) ? lc_card_state_name(isd[0].state)
							     : "?",
			    (unsigned)card_set);
	/* issued means SECURED, whatever the transitions asked for (docs/card-lifecycle.md) */
	if (isd[0].state != LC_CARD_SECURED)
		return fail(rn, ENCODER_LOCK_FAILED,
			    "after the lock the card is %02X (%s), not SECURED", isd[0].state,
			    lc_card_state_name(isd[0].state) ? lc_card_state_name(isd[0].state)
							     : "?");
	for (i = 0; i < nt && !na; i++)
		na = t[i].p1 != LC_P1_ISD;
	if ((na || rn->ninst) && (r = get_status(rn, LC_P1_APP, apps, 16, &na)) < 0)
		return r;
	for (i = 0; i < nt; i++) {
		if (t[i].p1 == LC_P1_ISD)
			continue;
		lc_transition_format(&t[i], tx, sizeof tx);
		for (j = 0; j < na; j++)
			if (apps[j].aid_len == t[i].aid_len &&
			    memcmp(apps[j].aid, t[i].aid, t[i].aid_len) == 0)
				break;
		if (j == na)
			return fail(rn, ENCODER_LOCK_FAILED,
				    "after SET STATUS %s, GET STATUS does not list the application",
				    tx);
		if ((t[i].p2 & LC_APP_LOCKED_BIT) ? !(apps[j].state & LC_APP_LOCKED_BIT)
						  : apps[j].state != t[i].p2)
			return fail(rn, ENCODER_LOCK_FAILED,
				    "after SET STATUS %s, GET STATUS shows state %02X", tx,
				    apps[j].state);
	}
	/* Whoever moved them (SET STATUS, or applications that leave SELECTABLE themselves on
	 * their last STORE DATA), every application the script personalised must now be in
	 * an application-specific state (0xxxx111 above 07), not locked. */
	for (i = 0; i < rn->ninst; i++) {
		for (j = 0; j < na; j++)
			if (apps[j].aid_len == rn->inst_lens[i] &&
			    memcmp(apps[j].aid, rn->inst_aids[i], rn->inst_lens[i]) == 0)
				break;
		if (j == na || (apps[j].state & 0x87) != 0x07 ||
		    apps[j].state <= LC_APP_SELECTABLE) {
			char aid[2 * LC_AID_MAX + 1];
			hex_encode(rn->inst_aids[i], rn->inst_lens[i], aid);
			if (j == na)
				return fail(
					rn, ENCODER_LOCK_FAILED,
					"after the lock GET STATUS does not list application %s",
					aid);
			return fail(rn, ENCODER_LOCK_FAILED,
				    "after the lock application %s is %02X, not personalised", aid,
				    apps[j].state);
		}
	}
	return 0;
}

/* The default step with the stock's own end states: its applications to end_app_lc and the
 * card to end_card_lc; a state of 0 drops those transitions. Returns the count kept. */
static size_t
stock_transitions(const struct chip_profile *p, struct lc_transition *t, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char to = t[i].p1 == LC_P1_ISD ? p->end_card_lc : p->end_app_lc;
		if (!to)
			continue;
		t[k] = t[i];
		t[k++].p2 = to;
	}
	return k;
}

/* End the personalisation (GPCS 5.1, 11.10): a fresh channel with the ISD (the read-back
 * selected other applications), the SET STATUS transitions in order, then the check. */
static int
end_personalization(struct run *rn, const struct encoder_job *job)
{
	struct lc_transition def[LC_MAX_TRANSITIONS];
	const struct lc_transition *t = job->transitions;
	unsigned char cmd[5 + LC_AID_MAX], plain[SCP03_RESP_MAX + 2];
	size_t nt = job->n_transitions, plen;
	char what[80], tx[48];
	uint16_t sw;
	int r;

	if (rn->inst_overflow)
		return fail(rn, ENCODER_BAD_SCRIPT,
			    "the script personalises more than %d applications",
			    LC_MAX_TRANSITIONS - 1);
	if (!nt) {
		if ((r = lc_default_transitions((const unsigned char(*)[LC_AID_MAX])rn->inst_aids,
						rn->inst_lens, rn->ninst, def,
						LC_MAX_TRANSITIONS)) < 0)
			return fail(rn, ENCODER_BAD_SCRIPT, "life cycle step: %s", cp_errmsg());
		t = def;
		nt = stock_transitions(rn->prof, def, (size_t)r);
	}
	if ((r = open_channel(rn)) < 0)
		return r;
	for (size_t i = 0; i < nt; i++) {
		if (lc_transition_check(&t[i]) < 0)
			return fail(rn, ENCODER_BAD_SCRIPT, "life cycle transition %zu: %s", i + 1,
				    cp_errmsg());
		lc_transition_format(&t[i], tx, sizeof tx);
		snprintf(what, sizeof what, "SET STATUS %s", tx);
		if ((r = secure_xmit(rn, cmd, lc_set_status_apdu(&t[i], cmd), plain, &plen, what)) <
		    0)
			return r;
		if ((sw = apdu_resp_sw(plain, plen)) != SW_OK)
			return fail(rn, ENCODER_LOCK_FAILED, "%s: SW %s", what, apdu_sw_text(sw));
		rn->res->n_transitions++;
	}
	if ((r = check_states(rn, t, nt)) < 0)
		return r;
	cp_iso_utc(cp_now(), rn->res->locked_at, sizeof rn->res->locked_at);
	return 0;
}

static void
finish(struct run *rn)
{
	channel_free(rn);
	if (rn->connected)
		SCardDisconnect(rn->card, SCARD_RESET_CARD);
	rn->connected = 0;
}

static struct run *
run_new(struct encoder *e, struct encoder_result *res)
{
	struct run *rn = xcalloc(1, sizeof *rn);

	memset(res, 0, sizeof *res);
	rn->e = e;
	rn->res = res;
	return rn;
}

static int
run_end(struct run *rn)
{
	enum encoder_outcome o = rn->res->outcome;

	finish(rn);
	cp_freezero(rn, sizeof *rn);
	return outcome_code(o);
}

/* The card's stock: the job's picker by the ATR, else the job's profile, else the
 * default; and the KMC for it. */
static int
pick_stock(struct run *rn, const struct encoder_job *job)
{
	rn->keys = *job->keys;
	if (job->pick_stock) {
		const unsigned char *kmc = NULL;
		size_t kmc_len = 0;
		if (job->pick_stock(job->pick_ctx, rn->atr, rn->atr_len, &rn->prof, &kmc,
				    &kmc_len) < 0 ||
		    !rn->prof || !kmc)
			return fail(rn, ENCODER_UNKNOWN_STOCK, "%s",
				    cp_errmsg()[0] ? cp_errmsg() : "no chip profile for this card");
		rn->keys.kmc = kmc;
		rn->keys.kmc_len = kmc_len;
	} else {
		chip_profile_default(&rn->def);
		rn->prof = job->profile ? job->profile : &rn->def;
	}
	snprintf(rn->res->stock, sizeof rn->res->stock, "%s", rn->prof->name);
	return 0;
}

int
encoder_personalize(struct encoder *e, const struct encoder_job *job, struct encoder_result *res)
{
	struct run *rn = run_new(e, res);
	int r;

	rn->fresh = 1;
	if (!job->keys || (!job->keys->kmc && !job->pick_stock) || !job->script.next) {
		fail(rn, ENCODER_READER, "encoder job without keys or script");
	} else if ((r = connect_card(rn)) == 0 && (r = pick_stock(rn, job)) == 0 &&
		   (r = open_channel(rn)) == 0 && (r = run_script(rn, job)) == 0 &&
		   (r = read_back(rn, job->expect, job->n_expect)) == 0 &&
		   (r = end_personalization(rn, job)) == 0) {
		log_info("encoder",
			 "card %s personalised and locked as stock %s (%s): chip %s, %u commands, "
			 "%u read-back checks, %u life cycle transitions, card %s",
			 job->card_no ? job->card_no : "?", res->stock,
			 chip_scp_name(rn->prof->scp), res->card_id, res->n_apdus, res->n_checked,
			 res->n_transitions,
			 lc_card_state_name(res->card_state) ? lc_card_state_name(res->card_state)
							     : "?");
	}
	if (res->outcome != ENCODER_OK)
		log_warn("encoder", "card %s: %s: %s", job->card_no ? job->card_no : "?",
			 encoder_outcome_name(res->outcome), res->reason);
	r = run_end(rn);
	if (r < 0)
		cp_err(r, "%s: %s", encoder_outcome_name(res->outcome), res->reason);
	return r;
}

int
encoder_read(struct encoder *e, const struct encoder_expect *expect, size_t n_expect,
	     struct encoder_result *res)
{
	struct run *rn = run_new(e, res);
	int r;

	if ((r = connect_card(rn)) == 0)
		r = read_back(rn, expect, n_expect);
	r = run_end(rn);
	if (r < 0)
		cp_err(r, "%s: %s", encoder_outcome_name(res->outcome), res->reason);
	return r;
}

int
encoder_identify(struct encoder *e, unsigned char *atr, size_t atr_size, size_t *atr_len,
		 struct encoder_result *res)
{
	struct run *rn = run_new(e, res);
	int r;

	*atr_len = 0;
	if ((r = connect_card(rn)) == 0) {
		*atr_len = rn->atr_len < atr_size ? rn->atr_len : atr_size;
		memcpy(atr, rn->atr, *atr_len);
	}
	r = run_end(rn);
	if (r < 0)
		cp_err(r, "%s: %s", encoder_outcome_name(res->outcome), res->reason);
	return r;
}
