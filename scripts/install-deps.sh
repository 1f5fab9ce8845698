#!/bin/sh
# Install the Debian packages cardpipe needs to build, test and run its demo.
# Idempotent and quiet when everything is present. Needs root (or sudo) only to install.
set -eu

PACKAGES="
build-essential pkg-config clang clang-format cppcheck
libxml2-dev libxml2-utils zlib1g-dev libdeflate-dev libssl-dev openssl libpng-dev libqrencode-dev libsqlite3-dev libpq-dev
libfreetype-dev libjpeg62-turbo-dev libpcsclite-dev libcmocka-dev libinih-dev libcairo2-dev libpango1.0-dev
libclang-rt-14-dev
pcscd vsmartcard-vpcd python3 python3-pyscard python3-cryptography
fonts-noto-cjk fonts-hanazono
zbar-tools poppler-utils sqlite3 postgresql chromium
libjpeg-turbo-progs xxd time iproute2
tzdata help2man pandoc man-db groff-base bash-completion logrotate
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# pcscd is started on demand by cardpipe's emulated line, not as a system service.
