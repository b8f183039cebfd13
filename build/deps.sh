#!/bin/sh
# Installs the Debian packages a target needs:
# build/deps.sh build|run|test|fuzz.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu

build="apache2 apache2-dev libjansson-dev libaprutil1-dev pkg-config make gcc"
run="$build curl sqlite3 libaprutil1-dbd-sqlite3"
test="$run libaprutil1-dbd-pgsql postgresql libapache2-mod-perl2 libjson-pp-perl libjson-xs-perl libdigest-sha-perl check valgrind procps"
fuzz="$build clang libclang-rt-14-dev"
bench="$run libaprutil1-dbd-pgsql postgresql wrk valgrind procps perl util-linux"

case "${1:-build}" in
    build) want=$build ;;
    run)   want=$run ;;
    test)  want=$test ;;
    fuzz)  want=$fuzz ;;
    bench) want=$bench ;;
    *) echo "usage: $0 build|run|test|fuzz|bench" >&2; exit 2 ;;
esac

missing=
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages:$missing" >&2
    echo "Install them with:  sudo apt-get update && sudo $cmd" >&2
    exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
