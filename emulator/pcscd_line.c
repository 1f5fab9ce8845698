/* pcscd_line.c - a line's own pcscd with the vpcd reader (see pcscd_line.h). */
#include "emulator/pcscd_line.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"

#include <PCSC/winscard.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_RUN_DIR "/run/pcscd"

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Is pid a live pcscd? (A pid file may outlive its process and the pid be reused.) */
static int
is_pcscd(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (pid <= 1 || kill(pid, 0) < 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (!(f = fopen(path, "r")))
		return 1; /* no /proc: trust kill() */
	if (!fgets(comm, sizeof comm, f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "pcscd", 5) == 0;
}

static pid_t
read_pid(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	long v;

	if (fs_read_file(path, 64, &data, &len) < 0)
		return -1;
	v = strtol((char *)data, NULL, 10);
	free(data);
	return v > 1 ? (pid_t)v : -1;
}

/* The child: own mount namespace with dir/run over /run/pcscd when allowed, then pcscd.
 * Reports 'N' (namespace) or 'S' (shared /run/pcscd) through the pipe before exec. */
static void
child(const char *dir, const char *confdir, const char *logpath, int report)
{
	char *rundir = xasprintf("%s/run", dir), mode = 'N';
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);

	setpgid(0, 0); /* signals to the caller's group do not reach it, nor ours it */
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	(void)mkdir(SYSTEM_RUN_DIR, 0755);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(rundir, SYSTEM_RUN_DIR, NULL, MS_BIND, NULL) < 0) {
		fprintf(stderr, "pcscd_line: no private mount namespace (%s): using %s\n",
			strerror(errno), SYSTEM_RUN_DIR);
		mode = 'S';
	}
	if (write(report, &mode, 1) != 1)
		_exit(126);
	execlp("pcscd", "pcscd", "--foreground", "-c", confdir, (char *)NULL);
	fprintf(stderr, "pcscd_line: exec pcscd: %s\n", strerror(errno));
	mode = 'E';
	(void)write(report, &mode, 1);
	_exit(127);
}

/* Ready when a client can list the vpcd reader through dir's socket. */
static int
probe(void)
{
	SCARDCONTEXT ctx;
	char *readers = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	LONG rv;
	int ok = 0;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return 0;
	rv = SCardListReaders(ctx, NULL, (LPSTR)&readers, &len);
	if (rv == SCARD_S_SUCCESS) {
		for (char *p = readers; *p; p += strlen(p) + 1)
			if (strcmp(p, PCSCD_LINE_READER) == 0)
				ok = 1;
		SCardFreeMemory(ctx, readers);
	}
	SCardReleaseContext(ctx);
	return ok;
}

static void
log_tail(const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;

	if (fs_read_file(path, 1 << 20, &data, &len) == 0 && len) {
		const char *t = (const char *)data + (len > 400 ? len - 400 : 0);
		log_error("pcscd", "last output of pcscd (%s):\n%s", path, t);
	}
	free(data);
}

/* Stop the pcscd started by pcscd_line_start (SIGTERM, then SIGKILL after timeout_ms). */
static int pcscd_line_stop(struct pcscd_line *l, int timeout_ms);

int
pcscd_line_start(const char *dir, int port, int timeout_ms, struct pcscd_line *out)
{
	char *confdir = xasprintf("%s/reader.conf.d", dir), *rundir = xasprintf("%s/run", dir);
	char *conf = xasprintf("%s/vpcd", confdir), *logpath = xasprintf("%s/pcscd.log", dir);
	char *pidpath = xasprintf("%s/pcscd.pid", dir), *text = NULL, *sock = NULL;
	char mode = 0, pidtxt[32];
	int pfd[2] = {-1, -1}, r;
	long deadline;
	pid_t pid = -1, sys;

	memset(out, 0, sizeof *out);
	out->pid = -1;
	if (port < 1 || port > 65534) {
		r = cp_err(CP_ERR_INVALID, "vpcd port %d: expected 1..65534 (PORT+1 is used too)",
			   port);
		goto out;
	}
	if ((r = fs_mkdirs(confdir, 0700)) < 0 || (r = fs_mkdirs(rundir, 0700)) < 0)
		goto out;
	if ((pid = read_pid(pidpath)) > 0 && is_pcscd(pid)) {
		r = cp_err(CP_ERR_BUSY, "a pcscd of this line already runs (pid %d, %s)", (int)pid,
			   pidpath);
		pid = -1;
		goto out;
	}
	/* vpcd listens on PORT (slot 0) and PORT+1 (slot 1); /dev/null = vpcd waits for us. */
	text = xasprintf("# written by cardpipe: the emulated line's virtual reader\n"
			 "FRIENDLYNAME \"Virtual PCD\"\n"
			 "DEVICENAME   /dev/null:0x%04X\n"
			 "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
			 "CHANNELID    0x%04X\n",
			 port, port);
	if ((r = fs_write_atomic(conf, text, strlen(text), 0600)) < 0)
		goto out;
	if (!fs_exists("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")) {
		r = cp_err(CP_ERR_NOTFOUND, "the vpcd driver is not installed "
					    "(/usr/lib/pcsc/drivers/serial/libifdvpcd.so: apt-get "
					    "install vsmartcard-vpcd)");
		goto out;
	}
	sock = pcscd_line_socket_path(dir);
	unlink(sock);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = cp_err(CP_ERR_IO, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		r = cp_err(CP_ERR_IO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(dir, confdir, logpath, pfd[1]);
	close(pfd[1]);
	pfd[1] = -1;
	if (read(pfd[0], &mode, 1) != 1 || (mode != 'N' && mode != 'S')) {
		r = cp_err(CP_ERR_IO, "pcscd did not start (see %s)", logpath);
		goto fail;
	}
	/* The pipe closes on a successful exec; an 'E' says exec failed. */
	if (read(pfd[0], pidtxt, 1) == 1) {
		r = cp_err(CP_ERR_NOTFOUND, "pcscd could not be run: is it installed? (see %s)",
			   logpath);
		goto fail;
	}
	if (mode == 'S') {
		/* Shared /run/pcscd: refuse when a system pcscd is there, else link its socket. */
		if ((sys = read_pid(SYSTEM_RUN_DIR "/pcscd.pid")) > 0 && sys != pid &&
		    is_pcscd(sys)) {
			r = cp_err(CP_ERR_BUSY,
				   "another pcscd runs (pid %d) and no private mount "
				   "namespace is allowed here: stop it first",
				   (int)sys);
			goto fail;
		}
		unlink(sock);
		if (symlink(SYSTEM_RUN_DIR "/pcscd.comm", sock) < 0) {
			r = cp_err(CP_ERR_IO, "symlink '%s': %s", sock, strerror(errno));
			goto fail;
		}
	}
	snprintf(pidtxt, sizeof pidtxt, "%d\n", (int)pid);
	if ((r = fs_write_atomic(pidpath, pidtxt, strlen(pidtxt), 0600)) < 0)
		goto fail;
	if ((r = pcscd_line_client_env(dir)) < 0)
		goto fail;
	deadline = cp_mono_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
	for (;;) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;
			log_tail(logpath);
			r = cp_err(CP_ERR_DEVICE, "pcscd exited during start-up (see %s)", logpath);
			goto fail;
		}
		if (probe())
			break;
		if (cp_mono_ms() > deadline) {
			log_tail(logpath);
			r = cp_err(CP_ERR_TIMEOUT,
				   "pcscd did not list the vpcd reader within %d ms "
				   "(see %s)",
				   timeout_ms, logpath);
			goto fail;
		}
		sleep_ms(50);
	}
	out->pid = pid;
	out->port = port;
	out->private_ns = mode == 'N';
	out->dir = xstrdup(dir);
	out->socket = sock;
	sock = NULL;
	log_info("pcscd", "pcscd pid %d ready: vpcd 127.0.0.1:%d, socket %s%s", (int)pid, port,
		 out->socket, out->private_ns ? "" : " (shared /run/pcscd)");
	r = 0;
	goto out;
fail:
	if (pid > 0) {
		struct pcscd_line tmp = {.pid = pid};
		pcscd_line_stop(&tmp, 2000);
		unlink(pidpath);
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(confdir);
	free(rundir);
	free(conf);
	free(logpath);
	free(pidpath);
	free(text);
	free(sock);
	return r;
}

/* SIGTERM, wait, SIGKILL. reap: the pid is our child (waitpid), else poll kill(pid, 0). */
static int
stop_pid(pid_t pid, int timeout_ms, int reap)
{
	long deadline = cp_mono_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
	int st, sig = SIGTERM;

	if (kill(pid, sig) < 0)
		return errno == ESRCH ? 0
				      : cp_err(CP_ERR_IO, "kill %d: %s", (int)pid, strerror(errno));
	for (;;) {
		if (reap ? waitpid(pid, &st, WNOHANG) == pid : kill(pid, 0) < 0)
			return 0;
		if (cp_mono_ms() > deadline) {
			if (sig == SIGKILL)
				return cp_err(CP_ERR_TIMEOUT, "pcscd pid %d does not stop",
					      (int)pid);
			log_warn("pcscd", "pcscd pid %d ignored SIGTERM: SIGKILL", (int)pid);
			sig = SIGKILL;
			kill(pid, sig);
			deadline = cp_mono_ms() + 2000;
		}
		sleep_ms(20);
	}
}

static int
pcscd_line_stop(struct pcscd_line *l, int timeout_ms)
{
	int r;

	if (!l || l->pid <= 0)
		return 0;
	r = stop_pid(l->pid, timeout_ms, 1);
	if (r == 0 && l->dir) {
		char *pidpath = xasprintf("%s/pcscd.pid", l->dir);
		unlink(pidpath);
		free(pidpath);
	}
	l->pid = -1;
	return r;
}

int
pcscd_line_stop_dir(const char *dir, int timeout_ms)
{
	char *pidpath = xasprintf("%s/pcscd.pid", dir);
	pid_t pid = read_pid(pidpath);
	int r = 0;

	if (pid > 0 && is_pcscd(pid))
		r = stop_pid(pid, timeout_ms, 0);
	if (r == 0)
		unlink(pidpath);
	free(pidpath);
	return r;
}

void
pcscd_line_release(struct pcscd_line *l)
{
	if (!l)
		return;
	free(l->dir);
	free(l->socket);
	l->dir = l->socket = NULL;
}
