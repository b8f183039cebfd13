#!/bin/sh
# make run: a working receiver on 127.0.0.1 with a generated key and a
# JSON-lines file under ./run/.  Ctrl-C stops it.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

build/deps.sh run
make --no-print-directory module

dir="$top/run"
export dir
mkdir -p "$dir"
if [ ! -s "$dir/api-key" ]; then
    (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$dir/api-key")
fi
key=$(cat "$dir/api-key")

port=${SPINTLY_PORT:-}
if [ -z "$port" ]; then
    # the first free port from 8080
    port=$(perl -MIO::Socket::INET -e '
        for my $p ($ARGV[0] .. $ARGV[0] + 100) {
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                                          LocalPort => $p, Listen => 1,
                                          ReuseAddr => 1) or next;
            print $p; exit;
        }' 8080)
fi

# The embedded database: the shipped schema and statement.
db="$dir/events.sqlite"
export db
[ -s "$db" ] || sqlite3 "$db" < conf/schema-sqlite.sql >/dev/null

user=
if [ "$(id -u)" -eq 0 ]; then
    user="User www-data
Group www-data"
    chown www-data:www-data "$dir" "$db"
fi

# conf/spintly-sqlite.conf with this tree's paths.
perl -pe '
    s{^DBDParams .*}{DBDParams "$ENV{db}"};
    s{^(\s*)SpintlyApiKeyFile .*}{$1SpintlyApiKeyFile "$ENV{dir}/keys"\n$1SpintlyLog "$ENV{dir}/events.jsonl"};
' conf/spintly-sqlite.conf > "$dir/spintly-sqlite.conf"

cat > "$dir/httpd.conf" <<CONF
# Written by make run.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
LogLevel warn spintly:info
$user
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
LoadModule spintly_module "$top/mod_spintly/.libs/mod_spintly.so"
LogFormat "%h %u %t \"%r\" %>s %b %D" spintly
CustomLog "$dir/access.log" spintly

Include "$dir/spintly-sqlite.conf"
CONF
(umask 077; echo "$key make-run" > "$dir/keys")

cat <<MSG
mod_spintly is receiving on http://127.0.0.1:$port/spintly
  events:    $dir/events.jsonl
  database:  $db
  error log: $dir/error.log
Post the bundled sample event:

  curl -sS -H 'x-api-key: $key' -H 'Content-Type: application/json' --data-binary @$top/t/data/card_event.json http://127.0.0.1:$port/spintly

See the rows it stored:

  sqlite3 -header $db 'select event_id, org_id, event_time, direction, name, received_at, key_name from spintly_events'

Ctrl-C stops it.
MSG
exec /usr/sbin/apache2 -f "$dir/httpd.conf" -DFOREGROUND
