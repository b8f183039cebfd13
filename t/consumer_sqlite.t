# conf/spintly-consumer-sqlite, the example pipe consumer: on its own (every
# record loaded, bad lines skipped, nothing read while the database refuses,
# SIGTERM), then behind httpd (the same rows as mod_dbd would store, kept
# across graceful restarts, drained when httpd stops).
use strict;
use warnings;
use utf8;
use Encode qw(encode_utf8);
use POSIX ();
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd ();
use Time::HiRes qw(sleep time);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw own_httpd
                   consumer_pids);

my $top = Cwd::abs_path("$FindBin::Bin/..");
my $consumer = "$top/conf/spintly-consumer-sqlite";
my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;

sub new_db {
    my ($path) = @_;
    system("sqlite3 '$path' < '$top/conf/schema-sqlite.sql' >/dev/null") == 0
        or die "sqlite3: schema failed\n";
    return $path;
}

sub sql {
    my ($db, $q) = @_;
    my $out = `sqlite3 '$db' "$q"`;
    chomp $out;
    return $out;
}

# A record as mod_spintly writes it.
sub record {
    my ($id, %over) = @_;
    return '{"receivedAt":"2026-12-04T16:21:07.505590Z","keyName":"k",'
         . '"clientIp":"127.0.0.1","message":'
         . event_json(eventId => $id, %over) . "}\n";
}

# Run the consumer on a pipe we write; returns (pid, stdin, stderr file).
sub start_consumer {
    my ($db, @opts) = @_;
    my $err = "$db.stderr";
    my $pid = open my $in, '|-', "exec '$consumer' @opts '$db' 2>'$err'"
        or die "$consumer: $!";
    $in->autoflush(1);
    return ($pid, $in, $err);
}

sub wait_rows {
    my ($db, $want, $timeout) = @_;
    my $end = time + ($timeout || 10);
    my $n;
    while (($n = sql($db, 'select count(*) from spintly_events')) < $want
           && time < $end) {
        sleep 0.05;
    }
    return $n;
}

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; <$fh> }

# Unread bytes in a pipe (FIONREAD works on either end on Linux).
sub pipe_pending {
    my ($fh) = @_;
    my $n = pack 'L', 0;
    ioctl($fh, 0x541B, $n) or return -1;    # FIONREAD
    return unpack 'L', $n;
}

# 1. On its own: everything loaded, duplicates and bad lines skipped, an
#    unterminated last line reported, exit 0 at end of input.
{
    my $db = new_db("$tmp/plain.sqlite");
    my ($pid, $in, $err) = start_consumer($db);
    print $in record($_) for 1 .. 300;
    print $in record(7), "not json\n", qq({"receivedAt":"x"}\n);
    print $in record(301, name => q{O'Brien "the door" \\ ünï},
                     employeeCode => undef);
    print $in '{"partial":';
    close $in;    # waits for it
    is $? >> 8, 0, 'exit 0 at end of input';
    is sql($db, 'select count(*) from spintly_events'), 301,
       'every record loaded once';
    like slurp($err), qr/3 of \d+ records not added/,
         'duplicate and bad lines reported';
    like slurp($err), qr/incomplete last line \(11 bytes\)/,
         'unterminated last line reported';
    is sql($db, 'select name from spintly_events where event_id = 301'),
       encode_utf8(q{O'Brien "the door" \\ ünï}),
       'quotes, backslash and UTF-8 kept';
    is sql($db, 'select employee_code is null from spintly_events'
              . ' where event_id = 301'), 1, 'JSON null is SQL NULL';
    my $msg = decode_json(sql($db, 'select message from spintly_events'
                                 . ' where event_id = 5'));
    is_deeply $msg, decode_json(event_json(eventId => 5)),
        'message column holds the whole message';
    is sql($db, 'select event_time from spintly_events where event_id = 5'),
       '2025-04-21T11:42:05Z', 'event_time from eventTimeEpoch';
}

# 2. The database refuses (its table is gone for a while): the consumer
#    keeps what it read, reads nothing more meanwhile, and stores it all
#    once the table is back.
{
    my $db = new_db("$tmp/refuse.sqlite");
    my ($pid, $in, $err) = start_consumer($db);
    print $in record($_) for 1 .. 10;
    is wait_rows($db, 10), 10, 'first batch stored';
    sql($db, 'alter table spintly_events rename to spintly_hidden');
    print $in record($_) for 11 .. 20;
    sleep 1;    # it reads those and fails to store them
    my $more = join '', map { record($_) } 21 .. 120;
    print $in $more;
    sleep 1;
    ok pipe_pending($in) >= length($more),
       'nothing read while a batch waits to be stored';
    is sql($db, 'select count(*) from spintly_hidden'), 10,
       'and nothing half-stored';
    sql($db, 'alter table spintly_hidden rename to spintly_events');
    close $in;
    is $? >> 8, 0, 'exit 0';
    is sql($db, 'select count(*) from spintly_events'), 120,
       'everything stored once the table is back';
    like slurp($err), qr/not committed.*\n.*trying again/,
         'the failures were reported';
}

# 2b. Checkpoints between batches: the write-ahead log stays small while
#     the consumer runs (SQLite's own checkpoint, inside a COMMIT, is off).
#     --synchronous FULL is accepted.
{
    my $db = new_db("$tmp/wal.sqlite");
    my ($pid, $in, $err) = start_consumer($db, '--synchronous', 'FULL');
    my $big = 'x' x 600;
    print $in record($_, name => $big) for 1 .. 15_000;    # about 15 MB
    is wait_rows($db, 15_000, 60), 15_000, '15,000 large records stored';
    my $wal = -s "$db-wal" // 0;
    ok $wal > 0 && $wal < 8 * 1024 * 1024,
       "the write-ahead log was checkpointed on the way ($wal bytes)";
    close $in;
    is $? >> 8, 0, 'exit 0';
}

# 3. SIGTERM while idle: exits at once, status 0, nothing lost.
{
    my $db = new_db("$tmp/term.sqlite");
    my ($pid, $in, $err) = start_consumer($db);
    print $in record($_) for 1 .. 50;
    is wait_rows($db, 50), 50, 'stored';
    kill 'TERM', $pid;
    my $t0 = time;
    waitpid $pid, 0;
    is $? >> 8, 0, 'SIGTERM: exit 0';
    ok time - $t0 < 5, 'promptly';
    close $in;
}

# 4. Behind httpd, beside mod_dbd writing the shipped SQLite statement to a
#    database of its own: the same rows; the same consumer across graceful
#    restarts; stop drains it.
my $KEY = 'consumer-key-0123456789abcdef';
my $dbd_dir = "$tmp/dbd";
mkdir $dbd_dir or die $!;
my $dbd_db = new_db("$dbd_dir/events.sqlite");
if ($> == 0) {
    my ($uid, $gid) = (getpwnam('www-data'))[2, 3];
    chown $uid, $gid, $dbd_dir, glob("$dbd_dir/*");
}
my $pipe_db = new_db("$tmp/pipe.sqlite");
my $sqlite_conf = do {
    open my $in, '<', "$top/conf/spintly-sqlite.conf" or die $!;
    local $/;
    <$in>;
};
$sqlite_conf =~ s{^DBDParams .*$}{DBDParams "$dbd_db"}m;
my $dest = "||$consumer $pipe_db";
$sqlite_conf =~ s{^(\s*)SpintlyApiKeyFile .*$}
                 {$1SpintlyApiKey $KEY consumer\n$1SpintlyLog "$dest"}m
    or die 'spintly-sqlite.conf: no SpintlyApiKeyFile line';
my $h = own_httpd(conf => "LoadModule dbd_module "
                        . "/usr/lib/apache2/modules/mod_dbd.so\n$sqlite_conf");
my ($rc, $out) = $h->{start}->();
is $rc, 0, 'httpd with the consumer and mod_dbd' or diag $out;

sub post_id {
    my ($id, %over) = @_;
    my ($s) = post_raw(port => $h->{port}, path => '/spintly',
                       headers => ['x-api-key' => $KEY,
                                   'Content-Type' => 'application/json'],
                       body => event_json(eventId => $id, %over));
    return $s;
}

my @before;
for (1 .. 100) {
    last if @before = consumer_pids("spintly-consumer-sqlite $pipe_db");
    sleep 0.05;
}
is scalar(@before), 1, 'one consumer';

{
    my @kids;
    my $dir = tempdir(CLEANUP => 1);
    for my $c (1 .. 8) {
        my $pid = fork // die;
        if (!$pid) {
            open my $o, '>', "$dir/$c" or die;
            my $end = time + 3;
            my $i = 0;
            while (time < $end) {
                my $id = 100_000 + $c * 10_000 + ++$i;
                my %over = $i % 9 == 0 ? (name => "L'" . ('x' x 6000))
                         : $i % 5 == 0 ? (name => "n\x{e9}e \"$c\"",
                                          mobileAccessMode => 'tap')
                         : ();
                print $o "$id ", post_id($id, %over), "\n";
            }
            close $o;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    for (1 .. 4) {
        sleep 0.6;
        $h->{graceful}->();
    }
    waitpid $_, 0 for @kids;
    my (%acked, %st);
    for my $c (1 .. 8) {
        open my $i, '<', "$dir/$c" or die;
        while (<$i>) {
            my ($id, $s) = split;
            $st{$s}++;
            $acked{$id} = 1 if $s == 200;
        }
    }
    my $n = keys %acked;
    ok $n > 100, "200s during 4 graceful restarts ($n)"
        or diag explain \%st;
    is wait_rows($pipe_db, $n, 20), $n, 'as many rows from the consumer';
    my %rows = map { $_ => 1 } split /\n/,
        sql($pipe_db, 'select event_id from spintly_events');
    is scalar(grep { !$rows{$_} } keys %acked), 0,
       'every acknowledged event is a row';
    is_deeply [consumer_pids("spintly-consumer-sqlite $pipe_db")], \@before,
        'the same consumer process after the restarts';

    # Every column as mod_dbd stored it (its id column aside).
    my $cols = 'org_id, event_id, request_id, site_id, org_user_id, '
             . 'integrator_id, event_time, direction, access_type, '
             . 'access_point_id, access_point_name, employee_code, name, '
             . 'mobile_access_mode, received_at, key_name, client_ip, '
             . 'message, typeof(org_id), typeof(site_id), '
             . 'typeof(employee_code), typeof(mobile_access_mode)';
    my $q = "select $cols from spintly_events order by event_id";
    my $mine = sql($pipe_db, $q);
    my $theirs = sql($dbd_db, $q);
    ok length($mine) > 1000, 'rows to compare';
    ok $mine eq $theirs, 'the consumer stores what mod_dbd stores'
        or diag "consumer:\n" . substr($mine, 0, 600)
              . "\nmod_dbd:\n" . substr($theirs, 0, 600);
}

# Stop: records waiting in the pipe (the consumer stopped meanwhile) are
# all stored before httpd has stopped, and the consumer exits.
{
    my $rows0 = sql($pipe_db, 'select count(*) from spintly_events');
    kill 'STOP', @before;
    my @s = map { post_id(900_000 + $_) } 1 .. 50;
    is scalar(grep { $_ == 200 } @s), 50, '50 acknowledged while stopped';
    is sql($pipe_db, 'select count(*) from spintly_events'), $rows0,
       'none stored yet';
    my $cont = fork // die;
    if (!$cont) {
        sleep 1;
        kill 'CONT', @before;
        POSIX::_exit(0);
    }
    ok $h->{stop}->(), 'httpd stopped';
    waitpid $cont, 0;
    is sql($pipe_db, 'select count(*) from spintly_events where event_id'
                   . ' between 900001 and 900050'), 50,
       'stop waited until the consumer had stored everything';
    is scalar(consumer_pids("spintly-consumer-sqlite $pipe_db")), 0,
       'and the consumer is gone';
    unlike slurp("$h->{dir}/error.log"), qr/SPT0015/,
           'it did not need SIGTERM';
}

done_testing();
