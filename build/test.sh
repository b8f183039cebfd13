#!/bin/sh
# make test: installs what is missing, builds, then runs the C unit tests
# (also under valgrind), replays the fuzz corpus under ASan and UBSan,
# and runs the Apache::Test suite against a real httpd on 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."

build/deps.sh test
make --no-print-directory module

status=0
echo "== C unit tests"
make --no-print-directory unit-test || status=1

echo "== C unit tests under valgrind"
make --no-print-directory unit-valgrind || status=1

echo "== fuzz corpus replayed under ASan and UBSan"
make --no-print-directory fuzz-replay || status=1

echo "== Apache::Test suite (t/*.t)"
rm -f t/logs/*.jsonl
set -- -apxs "$(command -v apxs)" -servername 127.0.0.1 -port select
if [ "$(id -u)" -eq 0 ]; then
    # Apache::Test refuses root; httpd's children drop to www-data.
    set -- "$@" -user www-data -group www-data
fi
perl t/TEST.PL "$@" || status=1

if [ $status -ne 0 ]; then
    echo "make test: FAILED"
else
    echo "make test: all passed"
fi
exit $status
