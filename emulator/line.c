/*
 * line.c - start, stop and use the emulated production line (see line.h). Every process
 * is started in a process group of its own (an operator's Ctrl-C in the shell that ran
 * `cardpipe line start` does not reach it), recorded in a pid file written atomically,
 * waited for until it answers, and stopped by that pid after checking that the pid is
 * still the program we started (pids are reused).
 */
#include "emulator/line.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "emulator/printer/vcard_client.h"
#include "printer/printer.h"
#include "emulator/pcscd_line.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COMP "line"
#define MAX_LINE_STOCKS 8

static void
sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

char *
line_dir(const char *home, int line)
{
	return xasprintf("%s/run/line%d", home, line);
}

/* The vpcd port of line N. */
static int
line_vpcd_port(const struct config *cfg, int line)
{
	return (int)config_int(cfg, "printer.vpcd_port") + 2 * (line - 1);
}

/* The program beside the running one (build/bin/...), else in ../lib/cardpipe/ beside it
 * (where make install puts the emulated line's programs), else the name for PATH. */
static char *
program_path(const char *name)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(name);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')))
		*slash = '\0';
	for (int i = 0; slash && i < 2; i++) {
		char *p = i == 0 ? xasprintf("%s/%s", self, name)
				 : xasprintf("%s/../lib/cardpipe/%s", self, name);

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(name);
}

static pid_t
read_pid(const char *path)
{
	unsigned char *data = NULL;
	size_t len;
	long v = 0;

	if (!fs_exists(path) || fs_read_file(path, 64, &data, &len) < 0)
		return 0;
	v = strtol((char *)data, NULL, 10);
	free(data);
	return v > 1 ? (pid_t)v : 0;
}

/* Is pid alive (not a zombie) and running program comm? */
static int
is_running(pid_t pid, const char *comm)
{
	char path[64], buf[512];
	FILE *f;
	int ok = 0;

	if (pid <= 1 || kill(pid, 0) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		/* "pid (comm) S ..." */
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');

		if (open && close && close > open && close[1] == ' ' && close[2] != 'Z' &&
		    close[2] != 'X') {
			*close = '\0';
			ok = !strcmp(open + 1, comm);
		}
	}
	fclose(f);
	return ok;
}

/* Start argv[0] (a full path or a name) with stdout/stderr to logpath; pid file. */
static int
spawn(const char *const argv[], const char *logpath, const char *pidpath, pid_t *out)
{
	char txt[32];
	pid_t pid;
	int r;

	*out = 0;
	if ((pid = fork()) < 0)
		return cp_err(CP_ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		if (strchr(argv[0], '/'))
			execv(argv[0], (char *const *)argv);
		else
			execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	*out = pid;
	snprintf(txt, sizeof(txt), "%d\n", (int)pid);
	if ((r = fs_write_atomic(pidpath, txt, strlen(txt), 0600)) < 0)
		return r;
	return 0;
}

/* Stop the process in pidpath if it is still comm; wait until it is gone. */
static int
stop_pid(const char *pidpath, const char *comm, int timeout_ms, int *was_running)
{
	pid_t pid = read_pid(pidpath);
	int waited = 0;

	*was_running = 0;
	if (pid && is_running(pid, comm)) {
		*was_running = 1;
		kill(pid, SIGTERM);
		while (is_running(pid, comm) && waited < timeout_ms) {
			waitpid(pid, NULL, WNOHANG); /* our child when start failed half-way */
			sleep_ms(20);
			waited += 20;
		}
		if (is_running(pid, comm)) {
			log_warn(COMP, "%s (pid %d) did not stop in %d ms; killing it", comm,
				 (int)pid, timeout_ms);
			kill(pid, SIGKILL);
			for (waited = 0; is_running(pid, comm) && waited < 2000; waited += 20) {
				waitpid(pid, NULL, WNOHANG);
				sleep_ms(20);
			}
		}
		waitpid(pid, NULL, WNOHANG);
	}
	if (fs_exists(pidpath))
		unlink(pidpath);
	return 0;
}

/* Wait until the control socket answers STATUS with OK, and the process lives. */
static int
wait_ready(const char *what, pid_t pid, const char *ctl, const char *logpath, int timeout_ms)
{
	char reply[256];

	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return cp_err(CP_ERR_DEVICE, "%s exited at start (%s %d); see %s", what,
				      WIFEXITED(st) ? "status" : "signal",
				      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), logpath);
		if (fs_exists(ctl) && vcard_ask(ctl, "STATUS", reply, sizeof(reply)) == 0 &&
		    !strncmp(reply, "OK", 2))
			return 0;
		sleep_ms(50);
	}
	return cp_err(CP_ERR_TIMEOUT, "%s did not answer on '%s' within %d ms; see %s", what, ctl,
		      timeout_ms, logpath);
}

struct paths {
	char *dir, *pcscd, *vcard_pid, *vcard_ctl, *vcard_log, *vcard_state, *emu_pid, *emu_ctl,
		*emu_log, *emu_state, *printed;
};

static void
paths_init(struct paths *p, const char *home, int line)
{
	p->dir = line_dir(home, line);
	p->pcscd = fs_join(p->dir, "pcscd");
	p->vcard_pid = fs_join(p->dir, "vcard.pid");
	p->vcard_ctl = fs_join(p->dir, "vcard.ctl");
	p->vcard_log = fs_join(p->dir, "vcard.log");
	p->vcard_state = fs_join(p->dir, "vcard");
	p->emu_pid = fs_join(p->dir, "emu.pid");
	p->emu_ctl = fs_join(p->dir, "emu.ctl");
	p->emu_log = fs_join(p->dir, "emu.log");
	p->emu_state = fs_join(p->dir, "emu-state");
	p->printed = fs_join(p->dir, "printed");
}

static void
paths_release(struct paths *p)
{
	free(p->dir);
	free(p->pcscd);
	free(p->vcard_pid);
	free(p->vcard_ctl);
	free(p->vcard_log);
	free(p->vcard_state);
	free(p->emu_pid);
	free(p->emu_ctl);
	free(p->emu_log);
	free(p->emu_state);
	free(p->printed);
}

int
line_start(const struct config *cfg, const char *home, const struct line_opts *o)
{
	struct paths p;
	struct pcscd_line pl = {.pid = -1};
	char vport[16], pport[16], lnum[16];
	char *vcard_bin = program_path("vcard"), *emu_bin = program_path("evolis-emu");
	pid_t pid;
	int r, n, timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	int vpcd = line_vpcd_port(cfg, o->line), port = printer_line_port(cfg, o->line);

	paths_init(&p, home, o->line);
	if (o->line < 1 || o->line > 99) {
		r = cp_err(CP_ERR_USAGE, "line %d is not 1..99", o->line);
		goto out;
	}
	if (port < 1 || port > 65535 || vpcd < 1 || vpcd > 65534) {
		r = cp_err(CP_ERR_CONFIG,
			   "line %d: ports %d (printer) and %d (vpcd) are not TCP "
			   "ports",
			   o->line, port, vpcd);
		goto out;
	}
	if (is_running(read_pid(p.emu_pid), "evolis-emu") ||
	    is_running(read_pid(p.vcard_pid), "vcard")) {
		r = cp_err(CP_ERR_BUSY,
			   "line %d already runs (%s); 'cardpipe line stop --line %d' "
			   "first",
			   o->line, p.dir, o->line);
		goto out;
	}
	if ((r = fs_mkdirs(p.dir, 0700)) < 0 || (r = fs_mkdirs(p.printed, 0700)) < 0 ||
	    (r = fs_mkdirs(p.vcard_state, 0700)) < 0 || (r = fs_mkdirs(p.emu_state, 0700)) < 0)
		goto out;
	snprintf(vport, sizeof(vport), "%d", vpcd);
	snprintf(pport, sizeof(pport), "%d", port);
	snprintf(lnum, sizeof(lnum), "%d", o->line);

	/* 1. pcscd with the vpcd reader: vpcd listens on vport for the virtual card */
	if ((r = pcscd_line_start(p.pcscd, vpcd, timeout, &pl)) < 0) {
		r = cp_err_wrap(r, "line %d pcscd: ", o->line);
		goto out;
	}
	/* 2. the virtual-card daemon, making chips of the stocks the feeder holds */
	{
		const char *argv[8 + 2 + 2 * MAX_LINE_STOCKS + 1] = {
			vcard_bin, "--state-dir", p.vcard_state, "--vpcd-port",
			vport,	   "--control",	  p.vcard_ctl};
		char *stocks = xstrdup(config_str(cfg, "encoder.card_stocks")), *save = NULL;
		char *profiles = config_path(cfg, "encoder.chip_profiles", home);
		int a = 7, ns = 0;

		if (profiles[0]) {
			argv[a++] = "--profiles";
			argv[a++] = profiles;
		}
		for (char *t = strtok_r(stocks, ":, ", &save); t;
		     t = strtok_r(NULL, ":, ", &save)) {
			if (ns++ >= MAX_LINE_STOCKS) {
				r = cp_err(CP_ERR_CONFIG,
					   "encoder.card_stocks: more than %d stocks",
					   MAX_LINE_STOCKS);
				break;
			}
			argv[a++] = "--stock";
			argv[a++] = t;
		}
		argv[a] = NULL;
		if (r == 0 && (r = spawn(argv, p.vcard_log, p.vcard_pid, &pid)) == 0)
			r = wait_ready("vcard", pid, p.vcard_ctl, p.vcard_log, timeout);
		free(stocks);
		free(profiles);
		if (r < 0)
			goto fail;
	}
	/* 3. the printer emulator, which asks vcard for a card at every Sis */
	{
		const char *argv[24];
		int a = 0;

		argv[a++] = emu_bin;
		argv[a++] = "--port";
		argv[a++] = pport;
		argv[a++] = "--line";
		argv[a++] = lnum;
		argv[a++] = "--out";
		argv[a++] = p.printed;
		argv[a++] = "--state";
		argv[a++] = p.emu_state;
		argv[a++] = "--vcard";
		argv[a++] = p.vcard_ctl;
		argv[a++] = "--control";
		argv[a++] = p.emu_ctl;
		argv[a++] = o->fast ? "--fast" : "--realistic";
		if (o->faults) {
			argv[a++] = "--faults";
			argv[a++] = o->faults;
		}
		argv[a] = NULL;
		if (fs_exists(p.emu_ctl))
			unlink(p.emu_ctl);
		if ((r = spawn(argv, p.emu_log, p.emu_pid, &pid)) < 0 ||
		    (r = wait_ready("evolis-emu", pid, p.emu_ctl, p.emu_log, timeout)) < 0)
			goto fail;
	}
	log_info(COMP,
		 "line %d running: printer 127.0.0.1:%d (%s mode), vpcd %d, reader '%s', "
		 "files in %s",
		 o->line, port, o->fast ? "fast" : "realistic", vpcd, PCSCD_LINE_READER, p.dir);
	r = 0;
	goto out;
fail:
	r = cp_err_wrap(r, "line %d: ", o->line);
	{
		char *msg = xstrdup(cp_errmsg());
		int keep = r;

		line_stop(home, o->line, 3000, &n);
		r = cp_err(keep, "%s", msg);
		free(msg);
	}
out:
	pcscd_line_release(&pl);
	paths_release(&p);
	free(vcard_bin);
	free(emu_bin);
	return r;
}

int
line_stop(const char *home, int line, int timeout_ms, int *stopped)
{
	struct paths p;
	int was, r;

	*stopped = 0;
	paths_init(&p, home, line);
	stop_pid(p.emu_pid, "evolis-emu", timeout_ms, &was);
	*stopped += was;
	stop_pid(p.vcard_pid, "vcard", timeout_ms, &was);
	*stopped += was;
	{
		char *pidfile = fs_join(p.pcscd, "pcscd.pid");

		if (is_running(read_pid(pidfile), "pcscd"))
			(*stopped)++;
		free(pidfile);
	}
	r = fs_exists(p.pcscd) ? pcscd_line_stop_dir(p.pcscd, timeout_ms) : 0;
	if (r == 0)
		log_info(COMP, "line %d stopped (%d processes)", line, *stopped);
	paths_release(&p);
	return r;
}

int
line_status(const char *home, int line, struct line_status *st)
{
	struct paths p;
	pid_t pid;
	char *pidfile;

	memset(st, 0, sizeof(*st));
	paths_init(&p, home, line);
	if (is_running(pid = read_pid(p.emu_pid), "evolis-emu")) {
		st->emu = pid;
		if (vcard_ask(p.emu_ctl, "STATUS", st->emu_status, sizeof(st->emu_status)) < 0)
			snprintf(st->emu_status, sizeof(st->emu_status), "(no answer: %s)",
				 cp_errmsg());
	}
	if (is_running(pid = read_pid(p.vcard_pid), "vcard")) {
		st->vcard = pid;
		if (vcard_ask(p.vcard_ctl, "STATUS", st->vcard_status, sizeof(st->vcard_status)) <
		    0)
			snprintf(st->vcard_status, sizeof(st->vcard_status), "(no answer: %s)",
				 cp_errmsg());
	}
	pidfile = fs_join(p.pcscd, "pcscd.pid");
	if (is_running(pid = read_pid(pidfile), "pcscd"))
		st->pcscd = pid;
	free(pidfile);
	paths_release(&p);
	return 0;
}

static int
vcard_command(const char *home, int line, const char *cmd)
{
	struct paths p;
	char reply[256];
	int r;

	paths_init(&p, home, line);
	if (!is_running(read_pid(p.vcard_pid), "vcard")) {
		r = cp_err(CP_ERR_NOTFOUND, "line %d does not run; 'cardpipe line start --line %d'",
			   line, line);
		goto out;
	}
	if ((r = vcard_ask(p.vcard_ctl, cmd, reply, sizeof(reply))) < 0)
		goto out;
	if (strncmp(reply, "OK", 2))
		r = cp_err(CP_ERR_DEVICE, "vcard refused '%s': %s", cmd, reply);
out:
	paths_release(&p);
	return r;
}

int
line_insert(const char *home, int line, const char *serial)
{
	char cmd[64];
	int r;

	/* a card already in the reader goes out first: one card at the station */
	if ((r = vcard_command(home, line, "REMOVE")) < 0 && r != CP_ERR_DEVICE)
		return r;
	snprintf(cmd, sizeof(cmd), "INSERT %s", serial);
	return vcard_command(home, line, cmd);
}

int
line_remove(const char *home, int line)
{
	return vcard_command(home, line, "REMOVE");
}

int
line_serial_of_chip(const char *chip_id, char serial[17])
{
	static const char prefix[] = "110000D156000005";

	if (strlen(chip_id) != 32 || strncasecmp(chip_id, prefix, 16))
		return cp_err(CP_ERR_FORMAT,
			      "card identifier '%s' is not one of the emulated "
			      "line's chips (110000D156000005 + serial)",
			      chip_id);
	for (int i = 16; i < 32; i++)
		if (!isxdigit((unsigned char)chip_id[i]))
			return cp_err(CP_ERR_FORMAT, "card identifier '%s' is not hex", chip_id);
	for (int i = 0; i < 16; i++)
		serial[i] = (char)toupper((unsigned char)chip_id[16 + i]);
	serial[16] = '\0';
	return 0;
}

int
line_client_env(const char *home, int line)
{
	char *dir = line_dir(home, line), *pcscd = fs_join(dir, "pcscd");
	char *pidfile = fs_join(pcscd, "pcscd.pid");
	int r = 0;

	if (is_running(read_pid(pidfile), "pcscd")) {
		if ((r = pcscd_line_client_env(pcscd)) == 0)
			r = 1;
	}
	free(pidfile);
	free(pcscd);
	free(dir);
	return r;
}
