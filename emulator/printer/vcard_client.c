/*
 * vcard_client.c - one request, one answer over the vcard daemon's unix control socket,
 * bounded by a timeout (a hung daemon must not hang the printer).
 */
#include "emulator/printer/vcard_client.h"

#include "core/err.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VCARD_TIMEOUT_MS 10000

int
vcard_ask(const char *socket_path, const char *cmd, char *reply, size_t replysz)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = 0;
	int fd, r = 0;

	reply[0] = '\0';
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return cp_err(CP_ERR_CONFIG, "vcard socket path '%s' is too long", socket_path);
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cp_err(CP_ERR_IO, "vcard: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = cp_err(CP_ERR_IO, "vcard: cannot connect to '%s': %s", socket_path,
			   strerror(errno));
		goto out;
	}
	{
		char line[256];
		int len = snprintf(line, sizeof(line), "%s\n", cmd);

		if (len < 0 || (size_t)len >= sizeof(line) ||
		    send(fd, line, (size_t)len, MSG_NOSIGNAL) != len) {
			r = cp_err(CP_ERR_IO, "vcard: cannot send '%s'", cmd);
			goto out;
		}
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t got;

		if (poll(&pfd, 1, VCARD_TIMEOUT_MS) <= 0) {
			r = cp_err(CP_ERR_TIMEOUT, "vcard: no answer to '%s'", cmd);
			goto out;
		}
		if (n + 1 >= replysz) {
			r = cp_err(CP_ERR_PROTOCOL, "vcard: answer to '%s' too long", cmd);
			goto out;
		}
		got = read(fd, reply + n, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = cp_err(CP_ERR_PROTOCOL,
				   "vcard: connection closed without an answer to '%s'", cmd);
			goto out;
		}
		if (reply[n] == '\n')
			break;
		n++;
	}
	reply[n] = '\0';
	if (n && reply[n - 1] == '\r')
		reply[n - 1] = '\0';
	if (strncmp(reply, "OK", 2) && strncmp(reply, "ERR", 3))
		r = cp_err(CP_ERR_PROTOCOL, "vcard: answer '%s' to '%s' is neither OK nor ERR",
			   reply, cmd);
out:
	close(fd);
	return r;
}
