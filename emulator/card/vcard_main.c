/*
 * vcard_main.c - `vcard`, the virtual-card daemon of the emulated production line.
 *
 *   vcard --state-dir DIR --vpcd-port PORT --control SOCKET [--kmc-file FILE] [--home DIR]
 *         [--profiles DIR] [--stock NAME]...
 *
 * The chips it makes are of the card stocks given (chip profiles; default cpvc-s03), taken
 * in turn for each new card unless INSERT-NEW names one.
 * It answers line commands on the unix stream socket SOCKET, one per line, each with one
 * line "OK ..." or "ERR <reason>":
 *   INSERT-NEW <serial> [stock]   a fresh blank chip with that serial (16 hex), of the
 *                         stock named or the next in turn, enters the reader:
 *                         "OK <card identifier, 32 hex>"
 *   INSERT <serial>       an existing chip goes back into the reader, with its state
 *   REMOVE                the card leaves the reader (its state is kept under DIR)
 *   FAULT defective [6f00|mute|no-atr|corrupt]   the next card's chip is defective
 *   FAULT pull-after <n>  the next card is pulled after answering n APDUs
 *   FAULT none            clear a pending fault
 *   STATUS                "OK card=<serial|none> id=<id> apdus=<n> fault=<pending>
 *                         stock=<stock|none>"
 * A card in the reader is a TCP connection to vpcd at 127.0.0.1:PORT (vpcd.h).
 */
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/keys/keystore.h"
#include "emulator/card/vcard.h"
#include "emulator/card/vcard_store.h"
#include "emulator/card/vpcd.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 8
#define LINE_MAX_LEN 256

static const char usage_text[] =
	"usage: vcard --state-dir DIR --vpcd-port PORT --control SOCKET [--kmc-file FILE]\n"
	"             [--home DIR] [--profiles DIR] [--stock NAME]... [--verbose]\n"
	"\n"
	"The virtual third-generation social security card of the emulated production line: a\n"
	"chip with a GlobalPlatform ISD (SCP03), the SSSE, PBOC and transport applications,\n"
	"attached to pcscd through vsmartcard's vpcd. A TEST DEVICE: its keys come from a test "
	"KMC.\n"
	"\n"
	"Options:\n"
	"  --state-dir DIR    where each chip's state is kept, one file DIR/<SERIAL>.card\n"
	"  --vpcd-port PORT   the vpcd reader's port on 127.0.0.1 (CHANNELID of its reader.conf)\n"
	"  --control SOCKET   unix socket for line commands (created 0600; replaced if stale)\n"
	"  --kmc-file FILE    the TEST KMC as hex (32, 48 or 64 digits; file mode 0600 or\n"
	"                     stricter)\n"
	"  --home DIR         without --kmc-file: take each stock's KMC (its profile's kmc_key)\n"
	"                     from DIR's key store, which must be marked TEST ONLY (default\n"
	"                     DIR: $CARDPIPE_HOME); with no key store there, the public\n"
	"                     GlobalPlatform test key 40..4F\n"
	"  --profiles DIR     the chip profiles (*.ini; default: the shipped data/chip-profiles)\n"
	"  --stock NAME       make chips of this stock (repeatable: new cards take the stocks\n"
	"                     in turn; default: cpvc-s03, SCP03 with kdf3 keys)\n"
	"  --verbose          log every APDU's header and status word\n"
	"  --help             this text\n"
	"\n"
	"Line commands on SOCKET (one per line; answered 'OK ...' or 'ERR reason'):\n"
	"  INSERT-NEW SERIAL [STOCK]  a fresh blank chip (16 hex serial) of STOCK or of the\n"
	"                         next stock in turn: OK <card identifier>\n"
	"  INSERT SERIAL          put an existing chip back: OK <card identifier>\n"
	"  REMOVE                 the card leaves the reader: OK\n"
	"  FAULT defective [6f00|mute|no-atr|corrupt]   the next card's chip is defective:\n"
	"                         6F00 to everything (default), answers without a status\n"
	"                         word, no valid ATR, or stores every record with a bit flipped\n"
	"  FAULT pull-after N     the next card is pulled after answering N APDUs\n"
	"  FAULT none             clear the pending fault\n"
	"  STATUS                 OK card=SERIAL|none id=ID apdus=N fault=PENDING stock=NAME\n";

enum fault_kind { FAULT_NONE = 0, FAULT_6F00, FAULT_MUTE, FAULT_NO_ATR, FAULT_PULL, FAULT_CORRUPT };

struct fault {
	enum fault_kind kind;
	unsigned long pull_after;
};

#define MAX_STOCKS 8

struct daemon {
	const char *dir;
	int port;
	struct chip_profiles set;	       /* the profiles loaded (--profiles, or shipped) */
	struct chip_profile def;	       /* the built-in default stock */
	struct vcard_stock stocks[MAX_STOCKS]; /* the stocks made, each with its KMC */
	size_t nstocks, next_stock;
	const struct vcard_stock *cur; /* the stock of the chip in the reader */
	int verbose;
	struct vcard vc;
	int inserted, vfd;
	unsigned long apdus;
	struct fault pending, active;
	struct {
		int fd;
		char buf[LINE_MAX_LEN];
		size_t len;
	} clients[MAX_CLIENTS];
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The TEST KMC of a TEST ONLY key store (never a production store: refused). */
static int
kmc_from_keystore(const char *home, const char *name, unsigned char *kmc, size_t *len, int *found)
{
	struct config *cfg = config_new();
	char *conf = fs_join(home, "cardpipe.conf"), *path = NULL;
	struct keystore *ks = NULL;
	struct key *k = NULL;
	int r;

	*found = 0;
	if ((r = config_load_file(cfg, conf)) < 0 && r != CP_ERR_NOTFOUND)
		goto out;
	if ((r = config_load_env(cfg)) < 0)
		goto out;
	path = config_path(cfg, "paths.keystore", home);
	if (!fs_exists(path)) {
		r = 0;
		goto out;
	}
	*found = 1;
	if ((r = keystore_open_cfg(cfg, home, &ks)) < 0)
		goto out;
	if (!keystore_is_test(ks)) {
		r = cp_err(CP_ERR_PERM,
			   "key store '%s' is not TEST ONLY: a virtual card never "
			   "takes a production KMC (use --kmc-file with a test key)",
			   path);
		goto out;
	}
	if ((r = keystore_get(ks, name, &k)) < 0)
		goto out;
	if (k->len != 16 && k->len != 24 && k->len != 32) {
		r = cp_err(CP_ERR_CONFIG, "key '%s' of %zu bytes: a KMC has 16, 24 or 32", name,
			   k->len);
		goto out;
	}
	memcpy(kmc, k->value, k->len);
	*len = k->len;
	log_info("vcard", "TEST KMC from key store '%s' (key '%s', KCV %s)", path, name, k->kcv);
out:
	key_free(k);
	keystore_close(ks);
	config_free(cfg);
	free(conf);
	free(path);
	return r < 0 ? cp_err_wrap(r, "the virtual card's KMC: ") : 0;
}

static int
load_kmc(const char *path, const char *home, const char *name, unsigned char *kmc, size_t *len)
{
	static const unsigned char gp_test_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
						      0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B,
						      0x4C, 0x4D, 0x4E, 0x4F};
	unsigned char *data = NULL;
	size_t n = 0;
	struct stat st;
	int r, k, found = 0;

	if (!path) {
		if (home && *home && (r = kmc_from_keystore(home, name, kmc, len, &found)) < 0)
			return r;
		if (found)
			return 0;
		memcpy(kmc, gp_test_key, sizeof gp_test_key);
		*len = sizeof gp_test_key;
		log_warn("vcard", "using the public GlobalPlatform test KMC (a TEST DEVICE)");
		return 0;
	}
	if (stat(path, &st) < 0)
		return cp_err(CP_ERR_NOTFOUND, "KMC file '%s': %s", path, strerror(errno));
	if (st.st_mode & 077)
		return cp_err(CP_ERR_PERM,
			      "KMC file '%s' is readable by others (mode %03o): chmod 600", path,
			      st.st_mode & 0777);
	if ((r = fs_read_file(path, 4096, &data, &n)) < 0)
		return r;
	for (char *p = (char *)data; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '\0';
	k = hex_decode((char *)data, kmc, 32);
	cp_freezero(data, n);
	if (k != 16 && k != 24 && k != 32)
		return cp_err(CP_ERR_FORMAT, "KMC file '%s': expected 32, 48 or 64 hex digits",
			      path);
	*len = (size_t)k;
	return 0;
}

static int
listen_control(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return cp_err(CP_ERR_INVALID, "control socket path too long: '%s'", path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cp_err(CP_ERR_IO, "socket: %s", strerror(errno));
	unlink(path); /* a stale socket of a previous run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return cp_err(CP_ERR_IO, "control socket '%s': %s", path, strerror(e));
	}
	return fd;
}

static void
save_card(struct daemon *d)
{
	if (!d->vc.dirty)
		return;
	if (vcard_store_save(&d->vc, d->dir, d->cur->kmc, d->cur->kmc_len) < 0)
		log_error("vcard", "%s", cp_errmsg());
	else
		d->vc.dirty = 0;
}

static void
remove_card(struct daemon *d, const char *why)
{
	char hex[17];

	if (!d->inserted)
		return;
	if (d->vfd >= 0)
		close(d->vfd);
	d->vfd = -1;
	save_card(d);
	hex_encode(d->vc.chip.serial, VCARD_SERIAL_LEN, hex);
	log_info("vcard", "card %s left the reader (%s) after %lu APDUs", hex, why, d->apdus);
	vcard_release(&d->vc);
	d->inserted = 0;
	memset(&d->active, 0, sizeof d->active);
}

static const struct vcard_stock *
stock_named(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->nstocks; i++)
		if (strcmp(d->stocks[i].profile->name, name) == 0)
			return &d->stocks[i];
	return NULL;
}

static int
insert_card(struct daemon *d, const char *serial_hex, const char *stock, int fresh, char *reply,
	    size_t rsz)
{
	const struct vcard_stock *st = NULL;
	unsigned char serial[VCARD_SERIAL_LEN];
	char id[2 * VCARD_ID_LEN + 1];
	char *path;
	int r;

	if (d->inserted)
		return cp_err(CP_ERR_BUSY, "a card is already in the reader: REMOVE it first");
	if ((r = vcard_parse_serial(serial_hex, serial)) < 0)
		return r;
	path = vcard_store_path(d->dir, serial);
	if (fresh && fs_exists(path)) {
		free(path);
		return cp_err(CP_ERR_EXISTS, "chip serial %s was already made (serials are unique)",
			      serial_hex);
	}
	free(path);
	if (fresh) {
		if (stock && !(st = stock_named(d, stock)))
			return cp_err(CP_ERR_NOTFOUND,
				      "stock '%s' is not one this virtual card makes", stock);
		if (!st)
			st = &d->stocks[d->next_stock % d->nstocks];
		r = vcard_init_blank_stock(&d->vc, st->profile, serial, st->kmc, st->kmc_len);
	} else if (stock) {
		return cp_err(CP_ERR_USAGE, "INSERT takes no stock: the chip is of its own");
	} else {
		r = vcard_store_load_stock(&d->vc, d->dir, serial, d->stocks, d->nstocks);
		st = r == 0 ? stock_named(d, d->vc.stock.name) : NULL;
	}
	if (r < 0)
		return r;
	d->cur = st;
	/* Into the reader first: a chip that never reached it is not made (the pending
	 * fault waits for the next card). */
	if ((r = vpcd_connect(d->port, &d->vfd)) < 0) {
		vcard_release(&d->vc);
		return r;
	}
	if (fresh && (r = vcard_store_save(&d->vc, d->dir, st->kmc, st->kmc_len)) < 0) {
		close(d->vfd);
		d->vfd = -1;
		vcard_release(&d->vc);
		return r;
	}
	d->vc.dirty = 0;
	if (fresh && !stock)
		d->next_stock++;
	d->active = d->pending;
	memset(&d->pending, 0, sizeof d->pending);
	d->vc.fault_sw = d->active.kind == FAULT_6F00 ? 0x6F00 : 0;
	d->vc.corrupt = d->active.kind == FAULT_CORRUPT;
	d->inserted = 1;
	d->apdus = 0;
	hex_encode(d->vc.chip.card_id, VCARD_ID_LEN, id);
	log_info("vcard", "card %s (%s, stock %s) in the reader%s", id,
		 fresh ? "new" : "re-inserted", st->profile->name,
		 d->active.kind ? " with a fault" : "");
	snprintf(reply, rsz, "OK %s", id);
	return 0;
}

static const char *
fault_text(const struct fault *f, char *buf, size_t sz)
{
	switch (f->kind) {
	case FAULT_NONE: return "none";
	case FAULT_6F00: return "defective:6f00";
	case FAULT_MUTE: return "defective:mute";
	case FAULT_NO_ATR: return "defective:no-atr";
	case FAULT_CORRUPT: return "defective:corrupt";
	case FAULT_PULL: snprintf(buf, sz, "pull-after:%lu", f->pull_after); return buf;
	}
	return "?";
}

/* One line command; reply gets the answer line (without newline). */
static void
line_command(struct daemon *d, char *line, char *reply, size_t rsz)
{
	char *save = NULL, *cmd = strtok_r(line, " \t", &save);
	char *arg = strtok_r(NULL, " \t", &save), *arg2 = strtok_r(NULL, " \t", &save);
	char *extra = strtok_r(NULL, " \t", &save);
	int r = 0;

	snprintf(reply, rsz, "OK");
	if (!cmd) {
		snprintf(reply, rsz, "ERR empty command");
		return;
	}
	if (strcmp(cmd, "INSERT-NEW") == 0 || strcmp(cmd, "INSERT") == 0) {
		if (!arg || extra || (arg2 && cmd[6] != '-'))
			r = cp_err(CP_ERR_USAGE, "usage: %s",
				   cmd[6] == '-' ? "INSERT-NEW SERIAL [STOCK]" : "INSERT SERIAL");
		else
			r = insert_card(d, arg, arg2, cmd[6] == '-', reply, rsz);
	} else if (strcmp(cmd, "REMOVE") == 0 && !arg) {
		if (!d->inserted)
			r = cp_err(CP_ERR_INVALID, "no card in the reader");
		else
			remove_card(d, "REMOVE");
	} else if (strcmp(cmd, "FAULT") == 0 && arg && !extra) {
		char *end = NULL;
		struct fault f = {FAULT_NONE, 0};
		if (strcmp(arg, "defective") == 0 && (!arg2 || strcmp(arg2, "6f00") == 0))
			f.kind = FAULT_6F00;
		else if (strcmp(arg, "defective") == 0 && strcmp(arg2, "mute") == 0)
			f.kind = FAULT_MUTE;
		else if (strcmp(arg, "defective") == 0 && strcmp(arg2, "no-atr") == 0)
			f.kind = FAULT_NO_ATR;
		else if (strcmp(arg, "defective") == 0 && strcmp(arg2, "corrupt") == 0)
			f.kind = FAULT_CORRUPT;
		else if (strcmp(arg, "pull-after") == 0 && arg2 &&
			 (f.pull_after = strtoul(arg2, &end, 10), *arg2 && !*end) &&
			 f.pull_after < 1000000)
			f.kind = FAULT_PULL;
		else if (strcmp(arg, "none") == 0 && !arg2)
			f.kind = FAULT_NONE;
		else
			r = cp_err(CP_ERR_USAGE,
				   "usage: FAULT defective [6f00|mute|no-atr|corrupt] | "
				   "FAULT pull-after N | FAULT none");
		if (r == 0)
			d->pending = f;
	} else if (strcmp(cmd, "STATUS") == 0 && !arg) {
		char ser[17] = "none", id[33] = "none", fb[40];
		if (d->inserted) {
			hex_encode(d->vc.chip.serial, VCARD_SERIAL_LEN, ser);
			hex_encode(d->vc.chip.card_id, VCARD_ID_LEN, id);
		}
		snprintf(reply, rsz, "OK card=%s id=%s apdus=%lu fault=%s stock=%s", ser, id,
			 d->apdus, fault_text(&d->pending, fb, sizeof fb),
			 d->inserted ? d->vc.stock.name : "none");
	} else {
		r = cp_err(CP_ERR_USAGE,
			   "unknown command '%.40s' (INSERT-NEW, INSERT, REMOVE, FAULT, STATUS)",
			   cmd);
	}
	if (r < 0)
		snprintf(reply, rsz, "ERR %s", cp_errmsg());
}

/* One message from vpcd. Returns 0, or -1 when the card left the reader. */
static int
vpcd_message(struct daemon *d, const unsigned char *msg, size_t len)
{
	unsigned char resp[SCP03_RESP_MAX + 16];
	size_t n;
	int r;

	if (len == 1) {
		switch (msg[0]) {
		case VPCD_CTRL_OFF:
		case VPCD_CTRL_ON:
		case VPCD_CTRL_RESET: vcard_reset(&d->vc); return 0;
		case VPCD_CTRL_ATR:
			if (d->active.kind == FAULT_NO_ATR) {
				/* A chip that does not answer reset: a lone TS byte, no T0. */
				static const unsigned char bad[1] = {0x3B};
				return vpcd_send(d->vfd, bad, sizeof bad) < 0 ? -1 : 0;
			}
			n = vcard_atr(&d->vc, resp, sizeof resp);
			return vpcd_send(d->vfd, resp, n) < 0 ? -1 : 0;
		}
		log_warn("vcard", "unknown vpcd control byte %02X ignored", msg[0]);
		return 0;
	}
	d->apdus++;
	if (d->active.kind == FAULT_MUTE) {
		/* A chip that does not answer: vpcd has no timeout (a missing reply would hang
		 * the reader for ever), so the reader gets a reply without a status word. */
		resp[0] = 0x00;
		return vpcd_send(d->vfd, resp, 1) < 0 ? -1 : 0;
	}
	n = vcard_apdu(&d->vc, msg, len, resp, sizeof resp);
	if (d->verbose && len >= 4 && n >= 2)
		log_info("vcard", "APDU %02X %02X %02X %02X (%zu bytes) -> %02X%02X", msg[0],
			 msg[1], msg[2], msg[3], len, resp[n - 2], resp[n - 1]);
	save_card(d); /* before answering: the answer is the chip's commitment */
	r = vpcd_send(d->vfd, resp, n);
	cp_memzero(resp, sizeof resp);
	if (r < 0)
		return -1;
	if (d->active.kind == FAULT_PULL && d->apdus >= d->active.pull_after) {
		remove_card(d, "pulled by a fault");
		return -1;
	}
	return 0;
}

static void
client_input(struct daemon *d, int i)
{
	char *nl, reply[LINE_MAX_LEN + 64];
	ssize_t k = read(d->clients[i].fd, d->clients[i].buf + d->clients[i].len,
			 sizeof d->clients[i].buf - d->clients[i].len);

	if (k <= 0) {
		close(d->clients[i].fd);
		d->clients[i].fd = -1;
		return;
	}
	d->clients[i].len += (size_t)k;
	while ((nl = memchr(d->clients[i].buf, '\n', d->clients[i].len))) {
		size_t used = (size_t)(nl - d->clients[i].buf) + 1;
		*nl = '\0';
		if (nl > d->clients[i].buf && nl[-1] == '\r')
			nl[-1] = '\0';
		line_command(d, d->clients[i].buf, reply, sizeof reply);
		strcat(reply, "\n");
		if (send(d->clients[i].fd, reply, strlen(reply), MSG_NOSIGNAL) < 0) {
			close(d->clients[i].fd);
			d->clients[i].fd = -1;
			return;
		}
		memmove(d->clients[i].buf, d->clients[i].buf + used, d->clients[i].len - used);
		d->clients[i].len -= used;
	}
	if (d->clients[i].len == sizeof d->clients[i].buf) {
		static const char err[] = "ERR line too long\n";
		(void)send(d->clients[i].fd, err, sizeof err - 1, MSG_NOSIGNAL);
		close(d->clients[i].fd);
		d->clients[i].fd = -1;
	}
}

static int
run(struct daemon *d, int lfd)
{
	while (!stop_requested) {
		struct pollfd p[2 + MAX_CLIENTS];
		int n = 0, map[MAX_CLIENTS], pr;

		p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = d->inserted ? d->vfd : -1, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++) {
			map[i] = -1;
			if (d->clients[i].fd >= 0) {
				map[i] = n;
				p[n++] = (struct pollfd){.fd = d->clients[i].fd, .events = POLLIN};
			}
		}
		pr = poll(p, (nfds_t)n, 1000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return cp_err(CP_ERR_IO, "poll: %s", strerror(errno));
		if (d->inserted && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			unsigned char msg[VPCD_MAX_MSG];
			size_t len;
			if (vpcd_recv(d->vfd, msg, sizeof msg, &len, 5000) < 0) {
				log_warn("vcard", "%s", cp_errmsg());
				remove_card(d, "vpcd connection lost");
			} else if (vpcd_message(d, msg, len) < 0) {
				remove_card(d, "vpcd connection lost");
			}
			/* a VERIFY's plaintext PIN block must not outlive its command */
			cp_memzero(msg, sizeof msg);
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (map[i] >= 0 && (p[map[i]].revents & (POLLIN | POLLHUP | POLLERR)))
				client_input(d, i);
		if (p[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), placed = 0;
			for (int i = 0; cfd >= 0 && i < MAX_CLIENTS && !placed; i++)
				if (d->clients[i].fd < 0) {
					d->clients[i].fd = cfd;
					d->clients[i].len = 0;
					placed = 1;
				}
			if (cfd >= 0 && !placed) {
				static const char err[] = "ERR too many control connections\n";
				(void)send(cfd, err, sizeof err - 1, MSG_NOSIGNAL);
				close(cfd);
			}
		}
	}
	return 0;
}

static void
daemon_free(struct daemon *d)
{
	for (size_t i = 0; i < MAX_STOCKS; i++)
		cp_memzero(d->stocks[i].kmc, sizeof d->stocks[i].kmc);
	chip_profiles_release(&d->set);
	free(d);
}

/* The stocks named (default: the built-in cpvc-s03), each with its KMC: --kmc-file for
 * all, else the key its profile names from a TEST ONLY key store, else the GP test key. */
static int
setup_stocks(struct daemon *d, const char *profiles, const char *const *names, size_t n,
	     const char *kmc_file, const char *home)
{
	char tried[512], *dir = NULL;
	int r = 0;

	chip_profile_default(&d->def);
	if (n == 0 && !profiles) {
		d->stocks[0].profile = &d->def;
		d->nstocks = 1;
	} else {
		if (!profiles && !(dir = fs_find_data("chip-profiles", tried, sizeof tried)))
			return cp_err(CP_ERR_NOTFOUND,
				      "the shipped chip profiles are not found (tried %s): "
				      "give --profiles",
				      tried);
		r = chip_profiles_load_dir(profiles ? profiles : dir, &d->set);
		free(dir);
		if (r < 0)
			return r;
		for (size_t i = 0; i < (n ? n : 1); i++) {
			const char *name = n ? names[i] : d->def.name;
			const struct chip_profile *p = chip_profiles_find(&d->set, name);
			if (!p)
				return cp_err(CP_ERR_NOTFOUND, "--stock '%s': no such chip profile",
					      name);
			d->stocks[d->nstocks++].profile = p;
		}
	}
	for (size_t i = 0; i < d->nstocks; i++) {
		struct vcard_stock *st = &d->stocks[i];
		static const unsigned char probe_serial[VCARD_SERIAL_LEN];
		if ((r = load_kmc(kmc_file, home, st->profile->kmc_key, st->kmc, &st->kmc_len)) < 0)
			return cp_err_wrap(r, "stock %s: ", st->profile->name);
		/* a chip of the stock can be made: its applications, its KMC for its keys */
		r = vcard_init_blank_stock(&d->vc, st->profile, probe_serial, st->kmc, st->kmc_len);
		vcard_release(&d->vc);
		memset(&d->vc, 0, sizeof d->vc);
		if (r < 0)
			return r;
		log_info("vcard", "stock %s: %s, %s keys, ATR of %zu bytes", st->profile->name,
			 chip_scp_name(st->profile->scp), chip_div_name(st->profile->div),
			 st->profile->atr_len);
		{
			char why[128];
			/* an EMV terminal refuses such a card before its first command */
			if (chip_atr_emv_check(st->profile->atr, st->profile->atr_len, why,
					       sizeof why) < 0)
				log_warn("vcard",
					 "stock %s: its ATR is not EMV Level 1 compliant: %s",
					 st->profile->name, why);
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'd'},
		{"vpcd-port", required_argument, NULL, 'p'},
		{"control", required_argument, NULL, 'c'},
		{"kmc-file", required_argument, NULL, 'k'},
		{"home", required_argument, NULL, 'H'},
		{"profiles", required_argument, NULL, 'P'},
		{"stock", required_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon *d = xcalloc(1, sizeof *d);
	const char *control = NULL, *kmc_file = NULL, *home = getenv("CARDPIPE_HOME");
	const char *profiles = NULL, *stock_names[MAX_STOCKS];
	size_t nnames = 0;
	struct sigaction sa;
	char *end;
	int c, lfd = -1, r = 0;

	umask(077);
	d->vfd = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		d->clients[i].fd = -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': d->dir = optarg; break;
		case 'p':
			d->port = (int)strtol(optarg, &end, 10);
			if (*end || d->port < 1 || d->port > 65535) {
				fprintf(stderr, "vcard: --vpcd-port '%s': expected 1..65535\n",
					optarg);
				return 2;
			}
			break;
		case 'c': control = optarg; break;
		case 'k': kmc_file = optarg; break;
		case 'H': home = optarg; break;
		case 'P': profiles = optarg; break;
		case 'S':
			if (nnames >= MAX_STOCKS) {
				fprintf(stderr, "vcard: at most %d --stock\n", MAX_STOCKS);
				free(d);
				return 2;
			}
			stock_names[nnames++] = optarg;
			break;
		case 'v': d->verbose = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			free(d);
			return 0;
		default:
			fputs(usage_text, stderr);
			free(d);
			return 2;
		}
	}
	if (!d->dir || !d->port || !control || optind != argc) {
		fprintf(stderr, "vcard: --state-dir, --vpcd-port and --control are required\n%s",
			usage_text);
		free(d);
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = setup_stocks(d, profiles, stock_names, nnames, kmc_file, home)) < 0 ||
	    (r = fs_mkdirs(d->dir, 0700)) < 0 || (r = lfd = listen_control(control)) < 0) {
		log_error("vcard", "%s", cp_errmsg());
		daemon_free(d);
		return 3;
	}
	log_info("vcard", "ready: control %s, vpcd 127.0.0.1:%d, state %s", control, d->port,
		 d->dir);
	r = run(d, lfd);
	remove_card(d, "daemon stopped");
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (d->clients[i].fd >= 0)
			close(d->clients[i].fd);
	close(lfd);
	unlink(control);
	if (r < 0)
		log_error("vcard", "%s", cp_errmsg());
	daemon_free(d);
	return r < 0 ? 3 : 0;
}
