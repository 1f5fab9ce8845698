/*
 * evolis_emu_main.c - evolis-emu: the Evolis printer emulator of the emulated line, on a
 * loopback TCP port (emulator/printer/emu.h says what it emulates and which faults it
 * injects). One printer connection at a time (a new one replaces a dead one); a unix
 * control socket takes fault commands; SIGTERM/SIGINT stop it cleanly.
 *
 *   evolis-emu --port P --out DIR --state DIR [--line N] [--vcard SOCKET] [--control SOCKET]
 *              [--faults FILE] [--feeder N] [--ribbon N] [--fast|--realistic[=PCT]]
 *   evolis-emu --send SOCKET COMMAND...     (send one control command, print the answer)
 */
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "emulator/printer/emu.h"
#include "emulator/printer/vcard_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char usage[] =
	"usage: evolis-emu --port PORT --out DIR --state DIR [options]\n"
	"       evolis-emu --send SOCKET COMMAND...\n"
	"\n"
	"An Evolis card printer on 127.0.0.1:PORT for the emulated production line: a feeder,\n"
	"the contact station (a virtual card from the vcard daemon), ribbon, cover, counters,\n"
	"a PNG of every printed card in DIR, and a log of every command (DIR/commands.log).\n"
	"\n"
	"  --port PORT        TCP port on 127.0.0.1 to listen on\n"
	"  --out DIR          printed cards (<card id>.png, .overlay.png), printed.log, "
	"commands.log\n"
	"  --state DIR        the chip serial counter (unique across restarts)\n"
	"  --line N           line number, part of every chip serial (default 1)\n"
	"  --vcard SOCKET     the vcard daemon's control socket (without: cards have no chip)\n"
	"  --control SOCKET   unix socket for control commands (FAULT, CLEAR, LOAD, RIBBON,\n"
	"                     COVER open|close, STATUS)\n"
	"  --faults FILE      faults and counts, 'key = value' lines: ribbon-out-after N,\n"
	"                     jam-at K, feeder-empty, cover-open, drop-at K, slow MS,\n"
	"                     defective-chip-at K, defective-chips-from K, pull-at K N,\n"
	"                     feeder N, ribbon N,\n"
	"                     settle MS (least time between two chips in the reader,\n"
	"                     default 800 with --realistic, 0 with --fast), realistic\n"
	"  --feeder N         cards in the feeder (default 1000)\n"
	"  --ribbon N         prints left on the ribbon (default 1000)\n"
	"  --fast             no mechanical delays (default)\n"
	"  --realistic[=PCT]  per-step mechanical delays, scaled to PCT percent (default 100)\n"
	"  --send SOCKET CMD  client mode: send CMD to a running emulator's control socket\n"
	"  --help             this text\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = sig;
}

static int
listen_tcp(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return cp_err(CP_ERR_IO, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int r = cp_err(CP_ERR_IO, "cannot listen on 127.0.0.1:%d: %s", port,
			       strerror(errno));

		close(fd);
		return r;
	}
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cp_err(CP_ERR_CONFIG, "control socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int r = cp_err(CP_ERR_IO, "cannot listen on '%s': %s", path, strerror(errno));

		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

/* Read one control line from a fresh connection (bounded), answer, close. */
static void
serve_control(struct emu *e, int lfd)
{
	struct buf reply = BUF_INIT(1024);
	char line[256];
	size_t n = 0;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	while (n + 1 < sizeof(line)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t got;

		if (poll(&pfd, 1, 2000) <= 0)
			break;
		got = read(fd, line + n, 1);
		if (got <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	emu_control(e, line, &reply);
	if (reply.len)
		(void)!write(fd, reply.data, reply.len);
	buf_release(&reply);
	close(fd);
}

static int
send_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_mode(int argc, char **argv, const char *sock)
{
	struct buf cmd = BUF_INIT(256);
	char reply[512];
	int r;

	for (int i = optind; i < argc; i++)
		buf_appendf(&cmd, "%s%s", i > optind ? " " : "", argv[i]);
	r = vcard_ask(sock, buf_str(&cmd), reply, sizeof(reply));
	buf_release(&cmd);
	if (r < 0) {
		fprintf(stderr, "evolis-emu: %s\n", cp_errmsg());
		return 3;
	}
	puts(reply);
	return strncmp(reply, "OK", 2) ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"state", required_argument, NULL, 's'},
		{"line", required_argument, NULL, 'l'},
		{"vcard", required_argument, NULL, 'v'},
		{"control", required_argument, NULL, 'c'},
		{"faults", required_argument, NULL, 'f'},
		{"feeder", required_argument, NULL, 'F'},
		{"ribbon", required_argument, NULL, 'R'},
		{"fast", no_argument, NULL, 'x'},
		{"realistic", optional_argument, NULL, 'r'},
		{"send", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct emu_config cfg = {
		.line = 1, .feeder_cards = 1000, .ribbon_cards = 1000, .delay_scale_pct = 100};
	const char *control = NULL, *faults = NULL, *send_sock = NULL;
	struct emu *e = NULL;
	int port = 0, c, lfd = -1, cfd = -1, client = -1, rc = 3;
	struct sigaction sa = {.sa_handler = on_signal};

	umask(077);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'o': cfg.out_dir = optarg; break;
		case 's': cfg.state_dir = optarg; break;
		case 'l': cfg.line = atoi(optarg); break;
		case 'v': cfg.vcard_control = optarg; break;
		case 'c': control = optarg; break;
		case 'f': faults = optarg; break;
		case 'F': cfg.feeder_cards = atol(optarg); break;
		case 'R': cfg.ribbon_cards = atol(optarg); break;
		case 'x': cfg.realistic = 0; break;
		case 'r':
			cfg.realistic = 1;
			if (optarg)
				cfg.delay_scale_pct = atoi(optarg);
			break;
		case 'S': send_sock = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (send_sock)
		return optind < argc ? client_mode(argc, argv, send_sock)
				     : (fputs(usage, stderr), 2);
	if (port <= 0 || port > 65535 || !cfg.out_dir || !cfg.state_dir || optind != argc ||
	    cfg.line < 1 || cfg.line > 255 || cfg.feeder_cards < 0 || cfg.ribbon_cards < 0) {
		fputs(usage, stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (emu_new(&cfg, &e) < 0 || (faults && emu_load_faults(e, faults) < 0) ||
	    (lfd = listen_tcp(port)) < 0 || (control && (cfd = listen_unix(control)) < 0)) {
		fprintf(stderr, "evolis-emu: %s\n", cp_errmsg());
		goto out;
	}
	log_info("evolis-emu", "line %d printer listening on 127.0.0.1:%d (%s mode)", cfg.line,
		 port, cfg.realistic ? "realistic" : "fast");
	while (!stop) {
		struct pollfd pfd[3] = {{lfd, POLLIN, 0}, {cfd, POLLIN, 0}, {client, POLLIN, 0}};

		if (poll(pfd, 3, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				if (client >= 0) {
					/* the host reconnected: the old connection is dead */
					close(client);
					emu_disconnect(e);
				}
				client = fd;
			}
		}
		if (cfd >= 0 && (pfd[1].revents & POLLIN))
			serve_control(e, cfd);
		if (client >= 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			unsigned char chunk[65536];
			ssize_t n = read(client, chunk, sizeof(chunk));
			struct buf out = BUF_INIT(1 << 16);

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				close(client);
				client = -1;
				emu_disconnect(e);
				continue;
			}
			if (emu_input(e, chunk, (size_t)n, &out) == EMU_DROP) {
				close(client);
				client = -1;
				emu_disconnect(e);
			} else if (out.len && send_all(client, out.data, out.len) < 0) {
				close(client);
				client = -1;
				emu_disconnect(e);
			}
			buf_release(&out);
		}
	}
	rc = 0;
	log_info("evolis-emu", "line %d printer stopped", cfg.line);
out:
	if (client >= 0)
		close(client);
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0) {
		close(cfd);
		unlink(control);
	}
	emu_free(e);
	return rc;
}
