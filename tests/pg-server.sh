#!/bin/bash
# A throwaway PostgreSQL server for the tests (and the benchmark): initdb and pg_ctl from
# Debian's postgresql package, in a directory of its own, never the system's cluster.
#
#   tests/pg-server.sh start DIR [PORT]   create and start a server in DIR; print the
#                                         libpq connection string of its database
#   tests/pg-server.sh stop DIR           stop it (immediate) and remove DIR
#
# The server listens on a Unix socket in DIR and, when PORT is given, on 127.0.0.1:PORT
# (the multi-host tests connect over TCP). Its database "cardpipe" belongs to the role
# "cardpipe" (which may create databases: a test takes one of its own), whose password is
# in DIR/password (mode 0600): local socket connections are
# trusted, TCP ones need the password (scram-sha-256), as on a bureau's database host.
# PostgreSQL refuses to run as root: as root the server runs as the user "postgres" (the
# package creates it) and DIR is handed to that user.
set -eu

die() { echo "pg-server: $*" >&2; exit 1; }

bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL server binaries not found (Debian package postgresql)"
	echo "$d"
}

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		# from /, which the server's user may enter (the caller's folder may be private)
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

start() {
	local dir=$1 port=${2:-} bin pass
	bin=$(bindir)
	[ ! -e "$dir/data" ] || die "$dir/data exists: stop that server first"
	mkdir -p "$dir/sock"
	chmod 0700 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "no user 'postgres' to run the server as"
		chown -R postgres: "$dir"
		# the parents of DIR must let the server's user in
		local p=$dir
		while p=$(dirname "$p") && [ "$p" != / ]; do
			runuser -u postgres -- test -x "$p" || die "user postgres cannot enter $p"
		done
	fi
	pass=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	(umask 077 && printf '%s\n' "$pass" >"$dir/password")
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir/password"
	as_server "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	{
		echo "unix_socket_directories = '$dir/sock'"
		echo "listen_addresses = '${port:+127.0.0.1}'"
		[ -z "$port" ] || echo "port = $port"
		echo "fsync = on"
		echo "max_connections = 100"
		echo "shared_buffers = 64MB"
		echo "log_min_messages = warning"
	} >>"$dir/data/postgresql.conf"
	{
		echo "local all all trust"
		echo "host all all 127.0.0.1/32 scram-sha-256"
	} >"$dir/data/pg_hba.conf"
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ tail -20 "$dir/server.log" >&2; die "the server did not start"; }
	local sockport=${port:-5432}
	as_server "$bin/psql" -X -q -h "$dir/sock" -p "$sockport" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -v pass="$pass" >/dev/null <<-'SQL' || die "cannot create the role and database"
		SET password_encryption = 'scram-sha-256';
		CREATE ROLE cardpipe LOGIN CREATEDB PASSWORD :'pass';
		CREATE DATABASE cardpipe OWNER cardpipe;
	SQL
	echo "host=$dir/sock port=$sockport user=cardpipe dbname=cardpipe"
}

stop() {
	local dir=$1 bin
	bin=$(bindir)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

case "${1:-}" in
start) [ $# -ge 2 ] || die "usage: $0 start DIR [PORT]"; start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start DIR [PORT] | stop DIR" ;;
esac
