/*
 * evolis_io.c - TCP and USB (usblp device file) transports for the Evolis driver.
 * Every wait is a poll() bounded by the configured timeout, so a silent printer is a
 * clear CP_ERR_TIMEOUT and never a hang. Over usblp a reply may only become readable
 * after the device is re-opened (docs/printer-reference.md §1.1): on end-of-file we re-open once.
 */
#include "printer/evolis/evolis_io.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { IO_TCP, IO_USB };

struct evo_io {
	int fd, kind, timeout_ms;
	char *path;
	char name[300];
	/* bytes read past the end of the last reply */
	char pend[256];
	size_t npend;
};

int
evo_io_open_tcp(const char *host, int port, int timeout_ms, struct evo_io **out)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, r, err = 0;

	*out = NULL;
	if (port <= 0 || port > 65535)
		return cp_err(CP_ERR_CONFIG, "printer: port %d is not a TCP port", port);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((r = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return cp_err(CP_ERR_CONFIG, "printer: cannot resolve '%s': %s", host,
			      gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			break;
		if (!err)
			err = ETIMEDOUT;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return cp_err(err == ETIMEDOUT ? CP_ERR_TIMEOUT : CP_ERR_IO,
			      "printer: cannot connect to %s:%d: %s", host, port, strerror(err));
	{
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	(*out)->kind = IO_TCP;
	(*out)->timeout_ms = timeout_ms;
	snprintf((*out)->name, sizeof((*out)->name), "tcp %s:%d", host, port);
	return 0;
}

static int
usb_open_fd(struct evo_io *io)
{
	io->fd = open(io->path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (io->fd < 0)
		return cp_err(errno == ENOENT ? CP_ERR_NOTFOUND : CP_ERR_IO,
			      "printer: cannot open device '%s': %s", io->path, strerror(errno));
	return 0;
}

int
evo_io_open_usb(const char *path, int timeout_ms, struct evo_io **out)
{
	struct evo_io *io = xcalloc(1, sizeof(*io));
	int r;

	*out = NULL;
	io->kind = IO_USB;
	io->timeout_ms = timeout_ms;
	io->path = xstrdup(path);
	snprintf(io->name, sizeof(io->name), "usb %s", path);
	if ((r = usb_open_fd(io)) < 0) {
		evo_io_close(io);
		return r;
	}
	*out = io;
	return 0;
}

void
evo_io_close(struct evo_io *io)
{
	if (!io)
		return;
	if (io->fd >= 0)
		close(io->fd);
	free(io->path);
	free(io);
}

const char *
evo_io_name(const struct evo_io *io)
{
	return io->name;
}

int
evo_io_send(struct evo_io *io, const void *data, size_t len)
{
	const unsigned char *p = data;
	long long deadline = cp_mono_ms() + io->timeout_ms;

	while (len > 0) {
		ssize_t n = io->kind == IO_TCP ? send(io->fd, p, len, MSG_NOSIGNAL)
					       : write(io->fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = io->fd, .events = POLLOUT};
			long long left = deadline - cp_mono_ms();

			if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
				return cp_err(CP_ERR_TIMEOUT,
					      "printer %s: not accepting data for %d ms", io->name,
					      io->timeout_ms);
			continue;
		}
		return cp_err(CP_ERR_IO, "printer %s: write failed: %s", io->name,
			      n == 0 ? "nothing written" : strerror(errno));
	}
	return 0;
}

static int
is_term(unsigned char c)
{
	return c == 0 || c == '\r' || c == '\n';
}

int
evo_io_reply(struct evo_io *io, char *out, size_t outsz)
{
	long long deadline = cp_mono_ms() + io->timeout_ms;
	size_t n = 0;
	int reopened = 0;

	for (;;) {
		unsigned char chunk[256];
		ssize_t got;

		/* consume what is pending first */
		while (io->npend > 0) {
			unsigned char c = (unsigned char)io->pend[0];

			memmove(io->pend, io->pend + 1, --io->npend);
			if (is_term(c)) {
				if (n == 0)
					continue;
				out[n] = '\0';
				return 0;
			}
			if (c < 0x20 || c > 0x7e)
				return cp_err(CP_ERR_PROTOCOL,
					      "printer %s: reply holds byte 0x%02X, not text",
					      io->name, c);
			if (n + 1 >= outsz)
				return cp_err(CP_ERR_PROTOCOL,
					      "printer %s: reply longer than %zu bytes", io->name,
					      outsz - 1);
			out[n++] = (char)c;
		}
		got = read(io->fd, chunk, sizeof(chunk));
		if (got > 0) {
			memcpy(io->pend, chunk, (size_t)got);
			io->npend = (size_t)got;
			continue;
		}
		if (got == 0) {
			if (io->kind == IO_USB && !reopened) {
				/* usblp: the reply shows after a re-open */
				close(io->fd);
				reopened = 1;
				if (usb_open_fd(io) < 0)
					return CP_ERR_IO;
				continue;
			}
			return cp_err(CP_ERR_IO, "printer %s: connection closed%s", io->name,
				      n ? " in the middle of a reply" : " before a reply");
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = {.fd = io->fd, .events = POLLIN};
			long long left = deadline - cp_mono_ms();
			int pr;

			if (left <= 0 || (pr = poll(&pfd, 1, (int)left)) == 0)
				return cp_err(CP_ERR_TIMEOUT, "printer %s: no reply within %d ms",
					      io->name, io->timeout_ms);
			if (pr < 0 && errno != EINTR)
				return cp_err(CP_ERR_IO, "printer %s: poll: %s", io->name,
					      strerror(errno));
			continue;
		}
		return cp_err(CP_ERR_IO, "printer %s: read failed: %s", io->name, strerror(errno));
	}
}
