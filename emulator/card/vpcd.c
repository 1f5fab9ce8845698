/* vpcd.c - the vicc end of the vpcd socket protocol (see vpcd.h). */
#include "emulator/card/vpcd.h"

#include "core/err.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
vpcd_connect(int port, int *fd)
{
	struct sockaddr_in sa;
	int s, one = 1;

	*fd = -1;
	if (port < 1 || port > 65535)
		return cp_err(CP_ERR_INVALID, "vpcd port %d out of range", port);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cp_err(CP_ERR_IO, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Small request/response messages: no Nagle delay. */
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(s);
		return cp_err(CP_ERR_DEVICE,
			      "connect to vpcd at 127.0.0.1:%d: %s (is pcscd with the vpcd reader "
			      "running?)",
			      port, strerror(e));
	}
	*fd = s;
	return 0;
}

static int
read_full(int fd, unsigned char *p, size_t n, int timeout_ms)
{
	int one = 1;

	while (n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t k;
		int pr = poll(&pfd, 1, timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return cp_err(CP_ERR_IO, "vpcd poll: %s", strerror(errno));
		if (pr == 0)
			return cp_err(CP_ERR_TIMEOUT, "vpcd: message incomplete after %d ms",
				      timeout_ms);
		k = read(fd, p, n);
		/* vpcd writes the length and the payload separately and Nagle holds the second
		 * write until the first is acknowledged: acknowledge at once, never after the
		 * 40 ms delayed-ACK timer (which would cost 40 ms per APDU). */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return cp_err(CP_ERR_IO, "vpcd read: %s", strerror(errno));
		if (k == 0)
			return cp_err(CP_ERR_IO, "vpcd closed the connection");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
vpcd_recv(int fd, unsigned char *buf, size_t size, size_t *len, int timeout_ms)
{
	unsigned char hdr[2];
	size_t n;
	int r;

	*len = 0;
	if ((r = read_full(fd, hdr, 2, timeout_ms)) < 0)
		return r;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n > size)
		return cp_err(CP_ERR_PROTOCOL, "vpcd message of %zu bytes (buffer %zu)", n, size);
	if ((r = read_full(fd, buf, n, timeout_ms)) < 0)
		return r;
	*len = n;
	return 0;
}

int
vpcd_send(int fd, const unsigned char *p, size_t len)
{
	unsigned char msg[2 + VPCD_MAX_MSG];
	size_t off = 0, n = len + 2;

	if (len > VPCD_MAX_MSG)
		return cp_err(CP_ERR_LIMIT, "vpcd message of %zu bytes", len);
	msg[0] = (unsigned char)(len >> 8);
	msg[1] = (unsigned char)len;
	if (len)
		memcpy(msg + 2, p, len);
	while (off < n) {
		ssize_t k = send(fd, msg + off, n - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cp_memzero(msg, n);
			return cp_err(CP_ERR_IO, "vpcd send: %s", strerror(errno));
		}
		off += (size_t)k;
	}
	cp_memzero(msg, n); /* a card's answer (keys, data) does not linger on the stack */
	return 0;
}
