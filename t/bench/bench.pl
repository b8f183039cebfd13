#!/usr/bin/perl
# make bench (build/bench.mk): what mod_spintly costs per event, against
# the floor it stands on, measured side by side in one run (issue 6).
#
# Each configuration is an httpd of its own on 127.0.0.1 (event MPM, two
# children of 64 threads; children as www-data when run as root): the
# floor (t/bench/mod_bench_floor.c: read the body, answer 204), two
# references from the same module that are not mod_spintly -- parse (the
# floor plus json_loadb of the body, as the issue keeps jansson the
# validator) and parse+write (that plus one write(2) of the body, its
# newlines made spaces, to a file) -- and mod_spintly to a file, to a
# pipe, to SQLite and to PostgreSQL (a throwaway server from build/pg.sh)
# with the shipped configurations.  All
# are started and warmed up, then loaded one after the other with the
# same wrk load (t/bench/post.lua: Spintly events with unique eventIds,
# keep-alive connections).  The load time of each, BENCH_SECONDS, is cut
# into BENCH_ROUNDS rounds that visit every configuration in turn, so that
# the ups and downs of a shared machine fall on all of them alike.  After
# each PostgreSQL slice pgbench runs the same INSERT with as many clients
# (and once more with one transaction per client, for what its connections
# cost); the CPU time of the PostgreSQL server processes is taken around
# each, so that the report can say what a row costs there under either
# client, and estimate the highest rate the CPUs could allow through httpd.
# Then callgrind counts the instructions of the validation and formatting
# path (t/bench/event_cost.c) against json_loadb alone.  BENCH_MEMORY=1
# adds resident memory over a million requests.
#
# What counts are ratios measured in the same run.  The targets of the
# issue are printed next to them; nothing fails on a target.  Settings
# come from the environment (see build/bench.mk).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);

$| = 1;

my $top    = abs_path("$FindBin::Bin/../..");
my $bench  = "$top/t/bench";
my $HTTPD  = abs_path($ENV{BENCH_HTTPD} || '/usr/sbin/apache2');
my $MODS   = '/usr/lib/apache2/modules';
my $SO     = "$top/mod_spintly/.libs/mod_spintly.so";
my $FLOOR  = $ENV{BENCH_FLOOR_SO}
             || "$top/build/out/bench/.libs/mod_bench_floor.so";
my $DRIVER = $ENV{BENCH_DRIVER} || "$top/build/out/bench/event_cost";
my $EVENT  = "$top/t/data/card_event.json";
my $KEY    = 'bench-key-0123456789abcdef';

my $SECONDS   = num('BENCH_SECONDS', 10);
my $ROUNDS    = num('BENCH_ROUNDS', 5);
my $WARMUP    = num('BENCH_WARMUP', 2);
my $CONNS     = num('BENCH_CONNECTIONS', 32);
my $THREADS   = num('BENCH_THREADS', 2);
my $MEM_N     = num('BENCH_MEMORY_REQUESTS', 1_000_000);
my $MEM_WARM  = 100_000;
my $MEMORY    = $ENV{BENCH_MEMORY} || 0;
my $MEM_ONLY  = $MEMORY eq 'only';
my $CALLGRIND = $ENV{BENCH_CALLGRIND} // 1;
my @CG_N      = (500, 2_500);
my %ONLY      = map { $_ => 1 } split ' ', $ENV{BENCH_ONLY} // '';
my $is_root   = $> == 0;
my $TICK      = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $SLICE     = $SECONDS / $ROUNDS;

# BENCH_PIN=1: httpd on every CPU but the last, wrk and pgbench on it.
my @CPUS = allowed_cpus();
my $PIN  = ($ENV{BENCH_PIN} // 0) && @CPUS >= 2;
my @SERVER_PIN = $PIN ? ('taskset', '-c', join(',', @CPUS[0 .. $#CPUS - 1]))
                      : ();
my @CLIENT_PIN = $PIN ? ('taskset', '-c', $CPUS[-1]) : ();

sub allowed_cpus {
    open my $f, '<', '/proc/self/status' or return;
    local $_;
    while (<$f>) {
        next unless /^Cpus_allowed_list:\s*(\S+)/;
        return map { /(\d+)-(\d+)/ ? ($1 .. $2) : $_ } split /,/, $1;
    }
    return;
}

sub num {
    my ($name, $default) = @_;
    my $v = $ENV{$name};
    return $default if !defined $v || $v eq '';
    die "$name must be a number, not \"$v\"\n" unless $v =~ /^\d+(\.\d+)?$/;
    die "$name must be more than 0\n" if $v == 0 && $name ne 'BENCH_WARMUP';
    return $v;
}

die "$SO is missing: make module\n" unless -f $SO;
die "$FLOOR is missing: make bench-build\n" unless -f $FLOOR;
die "BENCH_CONNECTIONS must be at least BENCH_THREADS\n" if $CONNS < $THREADS;
die "BENCH_THREADS: at most 9\n" if $THREADS > 9;
die "BENCH_CONNECTIONS: at most 99\n" if $CONNS > 99;
die "BENCH_ROUNDS: a whole number from 1 to 39\n"
    unless $ROUNDS == int $ROUNDS && $ROUNDS <= 39;
die "BENCH_MEMORY: 0, 1 or only\n" unless $MEMORY =~ /^(?:0|1|only)$/;
$MEMORY = 0 if $MEMORY eq '0';

my $started = time;
my $work = tempdir('spintly-bench-XXXXXX', TMPDIR => 1,
                   CLEANUP => !$ENV{BENCH_KEEP});
chmod 0755, $work;

# Whatever happens, stop what this script started.
my (%running_httpd, $pg_dir);
my $main_pid = $$;
sub cleanup {
    return unless $$ == $main_pid;
    stop_httpd($_) for keys %running_httpd;
    if ($pg_dir) {
        system("$top/build/pg.sh stop $pg_dir >/dev/null 2>&1");
        undef $pg_dir;
    }
}
END { cleanup() }
$SIG{INT} = $SIG{TERM} = sub { die "interrupted\n" };

# eventIds: configuration k, phase p (1 warm-up, 10 + r round r, 50 + r
# pgbench in round r, 90/91 memory), then thread or client, then count.
sub id_base { my ($k, $phase) = @_; return ($k * 100 + $phase) * 1e10 }

# ---- small helpers ---------------------------------------------------------

sub write_file {
    my ($path, $text) = @_;
    open my $f, '>', $path or die "$path: $!\n";
    print $f $text;
    close $f or die "$path: $!\n";
}

sub read_file {
    my ($path) = @_;
    open my $f, '<', $path or die "$path: $!\n";
    local $/;
    return scalar <$f>;
}

sub median {
    my @v = sort { $a <=> $b } grep { defined } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub commas {
    my $n = reverse int($_[0] + 0.5);
    $n =~ s/(\d{3})(?=\d)/$1,/g;
    return scalar reverse $n;
}

sub ratio {
    my ($a, $b) = @_;
    return (defined $a && defined $b && $b > 0) ? $a / $b : undef;
}

sub fmt { defined $_[1] ? sprintf($_[0], $_[1]) : '-' }

# ---- processes -------------------------------------------------------------

# ppid, utime, stime, cutime, cstime (clock ticks) from /proc/PID/stat.
sub proc_stat {
    my ($pid) = @_;
    open my $f, '<', "/proc/$pid/stat" or return;
    my $s = <$f>;
    return unless defined $s;
    $s =~ s/^.*\) //s;
    my @f = split ' ', $s;
    return { ppid => $f[1], utime => $f[11], stime => $f[12],
             cutime => $f[13], cstime => $f[14] };
}

# The httpd parent's children: httpd processes, and the others (pipe
# consumers).
sub children_of {
    my ($parent) = @_;
    my (@httpd, @other);
    opendir my $d, '/proc' or die "/proc: $!";
    for my $pid (grep { /^\d+$/ } readdir $d) {
        my $st = proc_stat($pid) or next;
        next unless $st->{ppid} == $parent;
        if ((readlink("/proc/$pid/exe") // '') eq $HTTPD) {
            push @httpd, $pid;
        }
        else {
            push @other, $pid;
        }
    }
    return (\@httpd, \@other);
}

# CPU seconds of a server: the parent with the children it has reaped,
# plus its live httpd children; its pipe consumers apart.
sub cpu_snapshot {
    my ($parent) = @_;
    my $p = proc_stat($parent) or die "httpd $parent is gone\n";
    my $server = $p->{utime} + $p->{stime} + $p->{cutime} + $p->{cstime};
    my $other = 0;
    my ($httpd, $others) = children_of($parent);
    for my $pid (@$httpd) {
        my $c = proc_stat($pid) or next;
        $server += $c->{utime} + $c->{stime};
    }
    for my $pid (@$others) {
        my $c = proc_stat($pid) or next;
        $other += $c->{utime} + $c->{stime} + $c->{cutime} + $c->{cstime};
    }
    return { server => $server / $TICK, other => $other / $TICK };
}

# { pid => resident kB } of the parent and its httpd children.
sub rss_snapshot {
    my ($parent) = @_;
    my ($httpd) = children_of($parent);
    my %rss;
    for my $pid ($parent, @$httpd) {
        open my $f, '<', "/proc/$pid/status" or next;
        local $_;
    while (<$f>) {
            $rss{$pid} = $1 if /^VmRSS:\s+(\d+)\s+kB/;
        }
    }
    return \%rss;
}

# ---- httpd -----------------------------------------------------------------

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1)
        or die "no free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# The same server for every configuration; only the handler differs.
# Two children of 64 threads for the whole run (no spare-thread
# management, no recycling), so /proc sees the same processes throughout.
# AllowOverride None as in Debian's apache2.conf: without it every request
# looks for four .htaccess files, which would weigh on the floor.
sub httpd_conf {
    my ($dir, $port, $body) = @_;
    my $user = $is_root ? "User www-data\nGroup www-data\n" : '';
    return <<"CONF";
# Written by t/bench/bench.pl.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
LogLevel warn
${user}LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
StartServers 2
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 1
MaxSpareThreads 128
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 300
<Directory />
    AllowOverride None
</Directory>

$body
CONF
}

sub httpd_pid {
    my ($dir) = @_;
    open my $f, '<', "$dir/httpd.pid" or return;
    my $pid = <$f>;
    return unless defined $pid && $pid =~ /^(\d+)/;
    return $1;
}

sub answering {
    IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]", Timeout => 2);
}

sub start_httpd {
    my ($dir, $port) = @_;
    my $out = `@SERVER_PIN $HTTPD -f $dir/httpd.conf -k start 2>&1`;
    die "httpd did not start ($dir):\n$out" if $?;
    $running_httpd{$dir} = 1;
    my $end = time + 15;
    my $pid;
    while (time < $end) {
        $pid = httpd_pid($dir);
        if ($pid) {
            my ($httpd) = children_of($pid);
            last if @$httpd >= 2 && answering($port);
        }
        sleep 0.05;
    }
    unless ($pid && answering($port)) {
        die "httpd in $dir is not answering on port $port\n"
            . (-s "$dir/error.log" ? read_file("$dir/error.log") : '');
    }
    return $pid;
}

# Stop httpd and wait for it, then for its pipe consumers, which read to
# the end of the pipe once the children are gone.
sub stop_httpd {
    my ($dir, $consumers) = @_;
    my $pid = httpd_pid($dir);
    delete $running_httpd{$dir};
    return unless $pid && kill 0, $pid;
    kill 'TERM', $pid;
    my $end = time + 60;
    sleep 0.05 while kill(0, $pid) && time < $end;
    for my $c (@{ $consumers || [] }) {
        sleep 0.05 while kill(0, $c) && time < $end;
    }
}

sub error_log_problems {
    my ($dir) = @_;
    open my $f, '<', "$dir/error.log" or return ();
    return grep { /:(?:warn|error|crit|alert|emerg)\]/ } <$f>;
}

# ---- wrk -------------------------------------------------------------------

# One wrk run (t/bench/post.lua); the numbers of its BENCH line.
#   seconds or quota: when the senders stop; base: the first eventId;
#   track: read back the eventIds answered 2xx
sub run_wrk {
    my (%a) = @_;
    my $out = $a{out};
    unlink glob("$out.*");
    my $limit = $a{quota} ? 7200 : int($a{seconds}) + 15;
    my @cmd = (@CLIENT_PIN, 'wrk', '-t', $THREADS, '-c', $CONNS,
               '-d', "${limit}s", '--timeout', '10s',
               '-s', "$bench/post.lua",
               '-H', "x-api-key: $KEY",
               '-H', 'Content-Type: application/json',
               "http://127.0.0.1:$a{port}/spintly", '--',
               $EVENT, $a{base}, $out, $a{seconds} || 0, $a{quota} || 0,
               $a{track} ? 1 : 0, $THREADS);
    my @t0 = times;
    open my $fh, '-|', @cmd or die "wrk: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;
    my @t1 = times;
    write_file("$out.log", $text);
    my ($line) = $text =~ /^BENCH (.*)$/m
        or die "wrk gave no BENCH line (see $out.log):\n$text";
    my %r = map { split /=/, $_, 2 } split ' ', $line;
    if ($a{track}) {
        $r{acked} = [ split /\n/, -e "$out.acked" ? read_file("$out.acked")
                                                  : '' ];
    }
    $r{rate} = $r{seconds} > 0 ? $r{ok} / $r{seconds} : 0;
    $r{client_cpu} = $t1[2] + $t1[3] - $t0[2] - $t0[3];
    return \%r;
}

# ---- destinations: what was stored -----------------------------------------

# eventIds in [lo, hi) of a JSON-lines file: { id => times seen }.
sub ids_in_file {
    my ($file, $lo, $hi) = @_;
    my %seen;
    open my $f, '<', $file or return \%seen;
    local $_;
    while (<$f>) {
        next unless /"eventId"\s*:\s*(\d+)/;
        $seen{$1}++ if $1 >= $lo && $1 < $hi;
    }
    return \%seen;
}

sub ids_from_command {
    my ($cmd) = @_;
    my %seen;
    open my $f, '-|', $cmd or die "$cmd: $!\n";
    local $_;
    while (<$f>) {
        chomp;
        $seen{$_}++ if /^\d+$/;
    }
    close $f or die "$cmd failed\n";
    return \%seen;
}

sub pg_psql {
    my ($sql) = @_;
    my $cmd = "$top/build/pg.sh psql $pg_dir -q -v ON_ERROR_STOP=1"
            . " -Atc \"$sql\" 2>&1";
    my $out = `$cmd`;
    die "psql: $sql:\n$out" if $?;
    chomp $out;
    return $out;
}

# The SpintlyDBDInsert statement of a shipped configuration.
sub shipped_insert {
    my ($conf) = @_;
    (my $text = read_file($conf)) =~ s/\\\n\s*/ /g;
    my ($sql) = $text =~ /^\s*SpintlyDBDInsert\s+"([^"]*)"/m
        or die "no SpintlyDBDInsert in $conf\n";
    return $sql;
}

# A shipped configuration with this run's database and key.
sub shipped_conf {
    my ($conf, $params) = @_;
    my $text = read_file($conf);
    $text =~ s{^DBDParams .*$}{DBDParams "$params"}m
        or die "no DBDParams in $conf\n";
    $text =~ s{^(\s*)SpintlyApiKeyFile .*$}{$1SpintlyApiKey $KEY bench}m
        or die "no SpintlyApiKeyFile in $conf\n";
    return $text;
}

# CPU seconds of the throwaway PostgreSQL server: its postmaster (the
# first line of DIR/data/postmaster.pid) with the children it has reaped,
# plus its live children (backends, checkpointer, WAL writer, ...).
my $pg_postmaster;
sub pg_cpu_snapshot {
    unless ($pg_postmaster) {
        my $file = "$pg_dir/data/postmaster.pid";
        my ($pid) = read_file($file) =~ /\A(\d+)\n/
            or die "$file: no pid on its first line\n";
        $pg_postmaster = $pid;
    }
    my ($httpd, $others) = children_of($pg_postmaster);
    my $ticks = 0;
    for my $pid (@$httpd, @$others) {
        my $c = proc_stat($pid) or next;
        $ticks += $c->{utime} + $c->{stime} + $c->{cutime} + $c->{cstime};
    }
    my $p = proc_stat($pg_postmaster)
        or die "the PostgreSQL postmaster $pg_postmaster is gone\n";
    $ticks += $p->{utime} + $p->{stime} + $p->{cutime} + $p->{cstime};
    return $ticks / $TICK;
}

my $pg_port;
sub start_pg {
    return if $pg_dir;
    my $dir = "$work/pg";
    my $out = `$top/build/pg.sh start $dir 2>&1`;
    ($pg_port) = $out =~ /PGPORT=(\d+)/
        or die "build/pg.sh start failed:\n$out";
    $pg_dir = $dir;
    my $cmd = "$top/build/pg.sh psql $dir -q -v ON_ERROR_STOP=1"
            . " -f $top/conf/schema-postgresql.sql 2>&1";
    my $schema = `$cmd`;
    die "schema-postgresql.sql:\n$schema" if $?;
}

my $spintly_load = "LoadModule spintly_module $SO";
# k numbers the eventIds of a configuration (id_base).  reference: not
# mod_spintly, a handler of mod_bench_floor; it answers 204 without the
# eventId, so the eventIds wrk sent stand for those of its 2xx.
my @CONFIGS = (
    {
        name => 'floor',
        k => 1,
        conf => sub {
            return "LoadModule bench_floor_module $FLOOR\n"
                 . "<Location /spintly>\n    SetHandler bench-floor\n"
                 . "</Location>\n";
        },
    },
    {
        name => 'parse',
        k => 6,
        reference => 'floor + json_loadb',
        conf => sub {
            return "LoadModule bench_floor_module $FLOOR\n"
                 . "<Location /spintly>\n    SetHandler bench-parse\n"
                 . "</Location>\n";
        },
    },
    {
        name => 'parse+write',
        k => 7,
        reference => 'parse + one write(2)',
        conf => sub {
            my ($dir) = @_;
            return "LoadModule bench_floor_module $FLOOR\n"
                 . "BenchFloorLog \"$dir/records.jsonl\"\n"
                 . "<Location /spintly>\n    SetHandler bench-parse-write\n"
                 . "</Location>\n";
        },
        stored => sub { ids_in_file("$_[0]/records.jsonl", $_[1], $_[2]) },
    },
    {
        name => 'file',
        k => 2,
        conf => sub {
            my ($dir) = @_;
            return "$spintly_load\n<Location /spintly>\n"
                 . "    SetHandler spintly\n"
                 . "    SpintlyApiKey $KEY bench\n"
                 . "    SpintlyLog \"$dir/events.jsonl\"\n</Location>\n";
        },
        stored => sub { ids_in_file("$_[0]/events.jsonl", $_[1], $_[2]) },
    },
    {
        name => 'pipe',
        k => 3,
        conf => sub {
            my ($dir) = @_;
            return "$spintly_load\n<Location /spintly>\n"
                 . "    SetHandler spintly\n"
                 . "    SpintlyApiKey $KEY bench\n"
                 . "    SpintlyLog \"|\$exec cat >> $dir/pipe.jsonl\"\n"
                 . "</Location>\n";
        },
        stored => sub { ids_in_file("$_[0]/pipe.jsonl", $_[1], $_[2]) },
    },
    {
        name => 'sqlite',
        k => 4,
        prepare => sub {
            my ($dir) = @_;
            my $cmd = "sqlite3 $dir/events.sqlite"
                    . " < $top/conf/schema-sqlite.sql 2>&1";
            my $out = `$cmd`;
            die "schema-sqlite.sql:\n$out" if $?;
            if ($is_root) {
                my (undef, undef, $uid, $gid) = getpwnam('www-data')
                    or die "no user www-data\n";
                chown $uid, $gid, $dir, "$dir/events.sqlite";
            }
        },
        conf => sub {
            my ($dir) = @_;
            return "LoadModule dbd_module $MODS/mod_dbd.so\n$spintly_load\n"
                 . shipped_conf("$top/conf/spintly-sqlite.conf",
                                "$dir/events.sqlite");
        },
        stored => sub {
            my ($dir, $lo, $hi) = @_;
            ids_from_command("sqlite3 $dir/events.sqlite 'select event_id"
                             . " from spintly_events where event_id >= $lo"
                             . " and event_id < $hi'");
        },
    },
    {
        name => 'postgresql',
        k => 5,
        prepare => \&start_pg,
        conf => sub {
            return "LoadModule dbd_module $MODS/mod_dbd.so\n$spintly_load\n"
                 . shipped_conf("$top/conf/spintly-postgresql.conf",
                                "host=127.0.0.1 port=$pg_port dbname=spintly"
                                . " user=spintly connect_timeout=3");
        },
        stored => sub {
            my ($dir, $lo, $hi) = @_;
            ids_from_command("$top/build/pg.sh psql $pg_dir -Atc"
                             . " 'select event_id from spintly_events"
                             . " where event_id >= $lo and event_id < $hi'");
        },
    },
);
my @NAMES = map { $_->{name} } @CONFIGS;
@CONFIGS = grep { !%ONLY || $ONLY{$_->{name}} } @CONFIGS;
die "BENCH_ONLY names none of: @NAMES\n" unless @CONFIGS;

# ---- the configurations under load -----------------------------------------

# Start a configuration's httpd and warm it up.
sub start_config {
    my ($c, $suffix) = @_;
    my $dir = "$work/$c->{name}" . ($suffix // '');
    mkdir $dir or die "$dir: $!\n";
    chmod 0755, $dir;
    $c->{prepare}->($dir) if $c->{prepare};
    my $port = free_port();
    write_file("$dir/httpd.conf",
               httpd_conf($dir, $port, $c->{conf}->($dir)));
    my $pid = start_httpd($dir, $port);
    return { c => $c, name => $c->{name}, k => $c->{k}, dir => $dir,
             port => $port, pid => $pid, slices => [], pgbench => [] };
}

# One round's slice of load on a running configuration.
sub run_slice {
    my ($s, $round) = @_;
    my $pg = $s->{name} eq 'postgresql';
    my $t0 = time;
    my $pg0 = $pg && pg_cpu_snapshot();
    my $cpu0 = cpu_snapshot($s->{pid});
    my $base = id_base($s->{k}, 10 + $round);
    my $w = run_wrk(port => $s->{port}, seconds => $SLICE, base => $base,
                    out => "$s->{dir}/wrk.$round", track => 1);
    my $cpu1 = cpu_snapshot($s->{pid});
    $w->{base} = $base;
    $w->{pg_cpu} = pg_cpu_snapshot() - $pg0 if $pg;
    $w->{wall} = time - $t0;
    $w->{cpu} = $cpu1->{server} - $cpu0->{server};
    $w->{other_cpu} = $cpu1->{other} - $cpu0->{other};
    push @{ $s->{slices} }, $w;
    return $w;
}

# The eventIds of a slice's requests: thread t of wrk sends base + t * 1e9
# + 1, + 2, ... (t/bench/post.lua).
sub ids_sent {
    my ($base, $by_thread) = @_;
    my @ids;
    my $t = 0;
    for my $n (split /,/, $by_thread // '') {
        next unless $n =~ /^\d+$/;
        push @ids, map { sprintf '%.0f', $base + $t * 1e9 + $_ } 1 .. $n;
    }
    continue {
        $t++;
    }
    return @ids;
}

# Stop it; add up its slices and compare what was stored with the 2xx.
# A reference answers 204 without the eventId: when every request of a
# slice had a 2xx, the eventIds sent are those of the 2xx; otherwise only
# the counts can be compared (by_count).
sub finish_config {
    my ($s) = @_;
    my (undef, $consumers) = children_of($s->{pid});
    stop_httpd($s->{dir}, $consumers);
    my @summed = qw(sent answers ok seconds cpu other_cpu client_cpu
                    threads_finished connect_errors read_errors write_errors
                    timeouts);
    my %t = map { $_ => 0 } @summed;
    my (%non2xx, @acked, %sent, $by_count);
    for my $w (@{ $s->{slices} }) {
        $t{$_} += $w->{$_} for @summed;
        $t{pg_cpu} += $w->{pg_cpu} // 0;
        $t{wall} += $w->{wall};
        push @acked, @{ $w->{acked} };
        if ($s->{c}{reference}) {
            my @sent = ids_sent($w->{base}, $w->{sent_by_thread});
            $sent{$_} = 1 for @sent;
            if (@sent == $w->{ok}) {
                push @acked, @sent;
            }
            else {
                $by_count = 1;
            }
        }
        next if $w->{non2xx} eq '-';
        for (split /,/, $w->{non2xx}) {
            my ($st, $n) = split /:/;
            $non2xx{$st} += $n;
        }
    }
    $t{non2xx} = \%non2xx;
    $t{rate} = $t{seconds} > 0 ? $t{ok} / $t{seconds} : 0;
    $t{cpu_us} = $t{ok} ? 1e6 * $t{cpu} / $t{ok} : undef;
    $t{p50} = median(map { $_->{p50_us} / 1000 } @{ $s->{slices} });
    $t{p99} = median(map { $_->{p99_us} / 1000 } @{ $s->{slices} });
    $t{log} = [ error_log_problems($s->{dir}) ];
    if ($s->{c}{stored}) {
        my $stored = $s->{c}{stored}->($s->{dir}, id_base($s->{k}, 11),
                                       id_base($s->{k}, 50));
        my %acked = map { $_ => 1 } @acked;
        $t{stored} = scalar keys %$stored;
        $t{acked} = scalar @acked;
        $t{missing} = grep { !$stored->{$_} } keys %acked;
        $t{extra} = grep { !$acked{$_} } keys %$stored;
        $t{twice} = grep { $_ > 1 } values %$stored;
        if ($by_count) {
            my $in_sent = grep { $sent{$_} } keys %$stored;
            $t{by_count} = 1;
            $t{acked} = $t{ok};
            $t{missing} = $t{ok} > $in_sent ? $t{ok} - $in_sent : 0;
            $t{extra} = $t{stored} - $in_sent
                      + ($in_sent > $t{ok} ? $in_sent - $t{ok} : 0);
        }
    }
    $s->{total} = \%t;
}

# ---- pgbench: the same INSERT, PostgreSQL's own ceiling --------------------

sub compact_json {
    my ($text) = @_;
    my $out = '';
    while ($text =~ /\G(?:("(?:[^"\\]|\\.)*")|(\s+)|([^"\s]+))/gs) {
        $out .= $1 // $3 // '';
    }
    return $out;
}

sub iso_utc {
    my ($secs, $usec) = @_;
    my $s = POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime $secs);
    return defined $usec ? sprintf('%s.%06dZ', $s, $usec) : "${s}Z";
}

# The shipped INSERT as a pgbench script: each placeholder gets the text
# mod_spintly binds for the sample event (NULL stays NULL), the eventId a
# per-client counter.  Returns the -D definitions it needs.
my ($pgbench_script, @pgbench_define);
sub pgbench_prepare {
    my $sql = shipped_insert("$top/conf/spintly-postgresql.conf");
    my $raw = read_file($EVENT);
    my $msg = decode_json($raw)->{messageData};
    my $data = $msg->{data};
    my $now = time;
    my %value = (
        receivedAt => iso_utc(int $now, ($now - int $now) * 1e6),
        keyName    => 'bench',
        clientIp   => '127.0.0.1',
        message    => compact_json($raw),
        eventTime  => iso_utc($data->{eventTimeEpoch}),
        requestId  => $msg->{requestId},
        msgType    => $msg->{msgType},
    );
    my %seen;
    $sql =~ s{:(\w+)}{
        my $name = $1;
        my $v = exists $value{$name} ? $value{$name} : $data->{$name};
        if ($name eq 'eventId') {
            ':eventId';
        }
        elsif (!defined $v) {
            'NULL';
        }
        else {
            push @pgbench_define, "$name=$v" unless $seen{$name}++;
            ":$name";
        }
    }ge;
    $pgbench_script = "$work/pgbench.sql";
    write_file($pgbench_script,
               "\\set n :n + 1\n"
             . "\\set eventId :base + :client_id * 100000000 + :n\n"
             . "$sql;\n");
    chmod 0644, $pgbench_script;
}

# One pgbench of the INSERT script: its output, and the CPU seconds it
# took: pgbench's own from times() (pg.sh execs it), PostgreSQL's from
# /proc, and the idle httpd of the postgresql configuration's.
sub pgbench_once {
    my ($s, $base, $log, @run) = @_;
    pgbench_prepare() unless $pgbench_script;
    my @cmd = (@CLIENT_PIN, "$top/build/pg.sh", 'pgbench', $pg_dir, '-n',
               '-M', 'prepared', '-c', $CONNS, '-j', $THREADS, @run,
               '-f', $pgbench_script, '-D', "base=$base", '-D', 'n=0',
               map { ('-D', $_) } @pgbench_define);
    my $t0 = time;
    my $pg0 = pg_cpu_snapshot();
    my $httpd0 = cpu_snapshot($s->{pid});
    my @c0 = times;
    open my $fh, '-|', @cmd or die "pgbench: $!\n";
    my $out = do { local $/; <$fh> };
    close $fh;
    my @c1 = times;
    my $httpd1 = cpu_snapshot($s->{pid});
    my $pg_cpu = pg_cpu_snapshot() - $pg0;
    my $wall = time - $t0;
    write_file($log, $out);
    my ($tps) = $out =~ /^tps = ([\d.]+) \(without initial connection time\)/m
        or die "pgbench failed (see $log):\n$out";
    my ($n) = $out =~ /number of transactions actually processed: (\d+)/;
    my ($lat) = $out =~ /latency average = ([\d.]+) ms/;
    return { tps => $tps, transactions => $n // 0, latency_ms => $lat,
             pg_cpu => $pg_cpu, client_cpu => $c1[2] + $c1[3] - $c0[2]
                                              - $c0[3],
             httpd_cpu => $httpd1->{server} - $httpd0->{server},
             wall => $wall };
}

# pgbench for a slice's time; then, to tell what its connections cost
# PostgreSQL, the same with one transaction per client (eventIds of phase
# 95, apart from those counted).
sub run_pgbench {
    my ($s, $round) = @_;
    my $secs = int($SLICE + 0.5) || 1;
    push @{ $s->{pgbench} },
        pgbench_once($s, id_base($s->{k}, 50 + $round),
                     "$work/pgbench.$round.log", '-T', $secs);
    push @{ $s->{pgbench_connect} },
        pgbench_once($s, id_base($s->{k}, 95) + $round * 1e6,
                     "$work/pgbench-connect.$round.log", '-t', 1);
}

sub pgbench_total {
    my ($s) = @_;
    my @p = @{ $s->{pgbench} } or return;
    my ($n, $secs) = (0, 0);
    my %cpu = map { $_ => 0 } qw(pg_cpu client_cpu httpd_cpu wall);
    for (@p) {
        $n += $_->{transactions};
        $secs += $_->{transactions} / $_->{tps} if $_->{tps} > 0;
        for my $key (keys %cpu) {
            $cpu{$key} += $_->{$key};
        }
    }
    # PostgreSQL per row without the connections: each run i took
    # O + x T_i, each run of one transaction per client O + x CONNS
    my @c = @{ $s->{pgbench_connect} || [] };
    my ($o, $pg_row);
    if (@c == @p) {
        my ($pc, $tc) = (0, 0);
        $pc += $_->{pg_cpu} for @c;
        $tc += $_->{transactions} for @c;
        my $rows = $n - $tc;
        $pg_row = ($cpu{pg_cpu} - $pc) / $rows if $rows > 0;
        $o = ($pc - $tc * $pg_row) / @c if defined $pg_row;
    }
    return { tps => $secs > 0 ? $n / $secs : 0, transactions => $n, %cpu,
             pg_row_steady => $pg_row, connect_pg_cpu => $o,
             latency_ms => median(map { $_->{latency_ms} } @p),
             rows => pg_psql('select count(*) from spintly_events where'
                             . ' event_id >= ' . id_base($s->{k}, 51)
                             . ' and event_id < ' . id_base($s->{k}, 90)) };
}

# ---- callgrind: the validation and formatting path -------------------------

# Instructions of each function (self or inclusive) in a callgrind file.
sub cg_functions {
    my ($file, $inclusive) = @_;
    my %ir;
    my $opt = $inclusive ? 'yes' : 'no';
    open my $f, '-|', "callgrind_annotate --auto=no --inclusive=$opt"
                    . " --threshold=100 $file 2>/dev/null"
        or die "callgrind_annotate: $!\n";
    my $in = 0;
    local $_;
    while (<$f>) {
        if (/file:function/) {
            $in = 1;
            next;
        }
        next unless $in;
        last if $in > 1 && /^\s*$/;
        $in++;
        next unless /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*?)\s*$/;
        my ($n, $where) = ($1, $2);
        next if $where eq 'PROGRAM TOTALS';
        $n =~ tr/,//d;
        $ir{$where} += $n;
    }
    close $f;
    return \%ir;
}

sub cg_total {
    my ($file) = @_;
    open my $f, '<', $file or die "$file: $!\n";
    local $_;
    while (<$f>) {
        return $1 if /^(?:summary|totals): (\d+)/;
    }
    die "$file: no totals\n";
}

# Per event: the difference between N = CG_N[1] and CG_N[0], divided.
sub callgrind {
    my $sql = shipped_insert("$top/conf/spintly-postgresql.conf");
    my $dn = $CG_N[1] - $CG_N[0];
    my %r;
    # The module hands jansson the body compacted, so json_loadb alone on
    # the indented event pays for white space the module skips: the same
    # event compacted is counted too.
    my $compact = "$work/card_event.compact.json";
    write_file($compact, compact_json(read_file($EVENT)));
    $r{compact_bytes} = -s $compact;
    for my $run ([ jansson => 'jansson', $EVENT ],
                 [ jansson0 => 'jansson0', $EVENT ],
                 [ module => 'module', $EVENT ],
                 [ dbd => 'dbd', $EVENT ],
                 [ jansson_compact => 'jansson', $compact ],
                 [ module_compact => 'module', $compact ]) {
        my ($key, $mode, $body) = @$run;
        my %total;
        for my $n (@CG_N) {
            my $file = "$work/callgrind.$key.$n";
            system('valgrind', '--tool=callgrind', '-q',
                   "--callgrind-out-file=$file", $DRIVER, $mode, $n,
                   $body, $mode eq 'dbd' ? $sql : ()) == 0
                or die "callgrind $key $n failed\n";
            $total{$n} = cg_total($file);
        }
        $r{$key} = ($total{ $CG_N[1] } - $total{ $CG_N[0] }) / $dn;
    }
    for my $kind (qw(self incl)) {
        my $a = cg_functions("$work/callgrind.module.$CG_N[0]",
                             $kind eq 'incl');
        my $b = cg_functions("$work/callgrind.module.$CG_N[1]",
                             $kind eq 'incl');
        my %per;
        for my $fn (keys %$b) {
            my $d = ($b->{$fn} - ($a->{$fn} // 0)) / $dn;
            $per{$fn} = $d if $d >= 1;
        }
        $r{$kind} = \%per;
    }
    return \%r;
}

# "file.c:function [/path/lib.so.4]" -> ("function", "lib")
sub cg_name {
    my ($where) = @_;
    my ($fn, $obj) = $where =~ /^(.*?)(?:\s+\[(.*)\])?$/;
    $fn =~ s/^.*://;
    $obj //= '';
    $obj =~ s{.*/}{};
    $obj =~ s/\.so[.\d]*$//;
    return ($fn, $obj eq '' ? '?' : $obj);
}

# ---- memory over a million requests ----------------------------------------

sub memory {
    my ($c) = @_;
    my $s = start_config($c, '-memory');
    my $pid = $s->{pid};
    my $idle = rss_snapshot($pid);
    run_wrk(port => $s->{port}, quota => POSIX::ceil($MEM_WARM / $THREADS),
            base => id_base($c->{k}, 90), out => "$s->{dir}/warmup");
    my $before = rss_snapshot($pid);
    # in two halves: growth that goes on in the second is a leak, growth
    # that stops after the first is more threads and pools coming into use
    my (%w, $half);
    my $t0 = time;
    for my $part (1, 2) {
        my $r = run_wrk(port => $s->{port},
                        base => id_base($c->{k}, 90 + $part),
                        out => "$s->{dir}/wrk.$part",
                        quota => POSIX::ceil($MEM_N / 2 / $THREADS));
        $w{$_} += $r->{$_} for qw(sent answers ok seconds);
        $w{errors} += $r->{$_} for qw(connect_errors read_errors write_errors
                                      timeouts);
        $half = rss_snapshot($pid) if $part == 1;
    }
    my $secs = time - $t0;
    $w{rate} = $w{seconds} > 0 ? $w{ok} / $w{seconds} : 0;
    my $after = rss_snapshot($pid);
    my (undef, $consumers) = children_of($pid);
    stop_httpd($s->{dir}, $consumers);
    my $stored;
    if ($c->{stored}) {
        $stored = scalar keys %{ $c->{stored}->($s->{dir},
                                                id_base($c->{k}, 91),
                                                id_base($c->{k}, 93)) };
    }
    return { name => $c->{name}, parent => $pid, idle => $idle,
             before => $before, half => $half, after => $after, wrk => \%w,
             seconds => $secs, stored => $stored,
             log => [ error_log_problems($s->{dir}) ] };
}

# ---- the run ---------------------------------------------------------------

my $cpus = (`nproc 2>/dev/null` =~ /(\d+)/)[0] || '?';
my ($httpd_version) = `$HTTPD -v 2>/dev/null` =~ /version:\s*(\S+)/;
my $load = (split ' ', read_file('/proc/loadavg'))[0];
printf "mod_spintly benchmark (issue 6), %s\n",
    POSIX::strftime('%Y-%m-%d %H:%M:%S', localtime);
printf "  %s, %s CPUs, load average %s; %s, event MPM, 2 children x 64"
     . " threads%s\n", (POSIX::uname())[2], $cpus, $load,
    $httpd_version // 'httpd', $is_root ? ' (www-data)' : '';
printf "  wrk: %d connections (keep-alive), %d threads, 127.0.0.1; %s\n",
    $CONNS, $THREADS, $MEM_ONLY
    ? sprintf('memory only: %s requests each', commas($MEM_N))
    : sprintf("each configuration %s s\n  in %d rounds of %.1f s, after %s s"
              . " of warm-up", $SECONDS, $ROUNDS, $SLICE, $WARMUP);
printf "  %s\n", $PIN
    ? "httpd pinned to CPU $SERVER_PIN[2], wrk and pgbench to CPU"
      . " $CLIENT_PIN[2] (BENCH_PIN=1)"
    : 'httpd, wrk and the databases share the CPUs';
printf "  body: t/data/card_event.json (%d bytes), a new eventId on each"
     . " request\n\n", -s $EVENT;

my (@runs, $cg, @mem);
unless ($MEM_ONLY) {
    for my $c (@CONFIGS) {
        printf "  starting %-11s", $c->{name};
        my $s = start_config($c);
        if ($WARMUP > 0) {
            run_wrk(port => $s->{port}, seconds => $WARMUP,
                    base => id_base($c->{k}, 1), out => "$s->{dir}/warmup");
        }
        push @runs, $s;
        print " warmed up\n";
    }
    for my $round (1 .. $ROUNDS) {
        printf "  round %d/%d:", $round, $ROUNDS;
        for my $s (@runs) {
            my $w = run_slice($s, $round);
            printf " %s %.0f", $s->{name}, $w->{rate};
            if ($s->{name} eq 'postgresql') {
                run_pgbench($s, $round);
                printf " pgbench %.0f", $s->{pgbench}[-1]{tps};
            }
        }
        print " req/s\n";
    }
    for my $s (@runs) {
        finish_config($s);
    }
    if ($CALLGRIND) {
        print "  callgrind ...";
        my $t0 = time;
        $cg = callgrind();
        printf " %.0f s\n", time - $t0;
    }
}
if ($MEMORY) {
    for my $c (grep { $_->{name} =~ /^(?:floor|file|pipe)$/ } @CONFIGS) {
        printf "  memory %-11s", $c->{name};
        my $t0 = time;
        push @mem, memory($c);
        printf " %s requests in %.0f s\n", commas($mem[-1]{wrk}{answers}),
            time - $t0;
    }
}
print "\n";

# ---- report ----------------------------------------------------------------

my %by = map { $_->{name} => $_ } @runs;
my $floor = $by{floor} && $by{floor}{total};
my $pgb = $by{postgresql} && pgbench_total($by{postgresql});

if (@runs) {
    printf "%-11s %7s %6s %7s %7s %9s %6s %8s %8s  %s\n", 'config', 'req/s',
        'xfloor', 'p50 ms', 'p99 ms', 'CPU us/ev', 'xfloor', '2xx',
        'stored', 'check';
    for my $s (@runs) {
        my $t = $s->{total};
        my $check = '-';
        if (defined $t->{stored}) {
            $check = $t->{stored} == $t->{ok} && $t->{acked} == $t->{ok}
                     && !$t->{missing} && !$t->{extra} && !$t->{twice}
                ? 'stored = 2xx' . ($t->{by_count} ? ' (by count)' : '')
                : sprintf('MISMATCH: %d 2xx not stored, %d stored without'
                          . ' 2xx, %d twice', $t->{missing}, $t->{extra},
                          $t->{twice});
        }
        if ($s->{c}{reference}) {
            $check = ($check eq '-' ? '' : "$check; ")
                   . "REFERENCE, not mod_spintly: $s->{c}{reference}";
        }
        my @bad;
        push @bad, 'non-2xx ' . join(',', map { "$_:$t->{non2xx}{$_}" }
                                     sort keys %{ $t->{non2xx} })
            if %{ $t->{non2xx} };
        for my $e (qw(connect_errors read_errors write_errors timeouts)) {
            push @bad, "$e $t->{$e}" if $t->{$e};
        }
        push @bad, 'requests left unanswered' if $t->{sent} != $t->{answers};
        $check .= '; ' . join(', ', @bad) if @bad;
        printf "%-11s %7.0f %6s %7s %7s %9s %6s %8d %8s  %s\n",
            $s->{name}, $t->{rate},
            fmt('%.2f', ratio($t->{rate}, $floor && $floor->{rate})),
            fmt('%.2f', $t->{p50}), fmt('%.2f', $t->{p99}),
            fmt('%.1f', $t->{cpu_us}),
            fmt('%.2f', ratio($t->{cpu_us}, $floor && $floor->{cpu_us})),
            $t->{ok}, $t->{stored} // '-', $check;
    }
    if ($pgb) {
        printf "%-11s %7.0f %6s %7s %7s %9s %6s %8d %8s  %s\n", 'pgbench',
            $pgb->{tps}, '-', '-', '-', '-', '-', $pgb->{transactions},
            $pgb->{rows}, sprintf('the same INSERT, %d clients, -M prepared,'
                                  . ' latency avg %.2f ms', $CONNS,
                                  $pgb->{latency_ms} // 0);
    }
    print "\n";
    print "  req/s: 2xx a second; p50/p99: wrk's latency, median of the"
        . " rounds;\n  CPU us/ev: user+system time of the httpd processes"
        . " (parent with reaped\n  children, plus live children, from /proc)"
        . " per 2xx; stored: events found in\n  the destination, compared"
        . " by eventId with the 2xx answers.\n";
    if (grep { $_->{c}{reference} } @runs) {
        print "  parse, parse+write: references in mod_bench_floor, not"
            . " mod_spintly.\n  parse reads the body into one buffer and runs"
            . " json_loadb(\n  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) on it"
            . " as sent (pretty-printed),\n  then 204; parse+write also makes"
            . " each CR and LF a space and appends the\n  body and a newline"
            . " with one write(2) before its 204.  Both answer without\n  a"
            . " body, so the eventIds wrk sent stand for those of their"
            . " 2xx.\n";
    }
    if ($floor && @runs > 1) {
        print "  By round, x floor (CPU us/ev | req/s):\n";
        for my $s (grep { $_->{name} ne 'floor' } @runs) {
            my (@cpu, @rate);
            for my $i (0 .. $#{ $s->{slices} }) {
                my $w = $s->{slices}[$i];
                my $f = $by{floor}{slices}[$i];
                my $cpu = $w->{ok} && $w->{cpu} / $w->{ok};
                my $floor_cpu = $f->{ok} && $f->{cpu} / $f->{ok};
                push @cpu, fmt('%.2f', ratio($cpu, $floor_cpu));
                push @rate, fmt('%.2f', ratio($w->{rate}, $f->{rate}));
            }
            printf "    %-11s %s | %s\n", $s->{name}, join(' ', @cpu),
                join(' ', @rate);
        }
    }
    print '  wrk itself used, CPU us per request: ',
        join(', ', map { sprintf('%s %.1f', $_->{name},
                                 $_->{total}{answers}
                                 ? 1e6 * $_->{total}{client_cpu}
                                   / $_->{total}{answers} : 0) } @runs),
        ".\n";
    for my $name (grep { $by{$_} } qw(file pipe)) {
        my $cpu = $by{$name}{total}{cpu_us};
        my @vs;
        for my $ref (grep { $by{$_} } qw(parse+write parse)) {
            push @vs, sprintf('%s %s', $ref eq 'parse' ? 'vs parse:'
                                       : 'CPU per event vs the parse+write'
                                         . ' reference:',
                              fmt('%.2fx', ratio($cpu,
                                                 $by{$ref}{total}{cpu_us})));
        }
        printf "  %s: %s.\n", $name, join('; ', @vs) if @vs;
    }
    for my $s (@runs) {
        my $t = $s->{total};
        if ($s->{name} eq 'pipe' && $t->{ok}) {
            printf "  pipe: the consumer (cat) used %.1f us/event more, not"
                 . " counted above.\n", 1e6 * $t->{other_cpu} / $t->{ok};
        }
        if (@{ $t->{log} }) {
            printf "  %s: %d warning/error lines in its error log, e.g.:\n"
                 . "    %s", $s->{name}, scalar @{ $t->{log} }, $t->{log}[0];
        }
    }
}

# The PostgreSQL path: where the CPU goes per row, under wrk through httpd
# and under pgbench, and what rate the CPUs could allow at best.
my $pg_bound;
if ($pgb && $by{postgresql}) {
    my $t = $by{postgresql}{total};
    my @rows = (
        [ 'postgresql', $t->{ok}, $t->{rate}, $t->{pg_cpu}, $t->{client_cpu},
          $t->{cpu}, $t->{wall} ],
        [ 'pgbench', $pgb->{transactions}, $pgb->{tps}, $pgb->{pg_cpu},
          $pgb->{client_cpu}, $pgb->{httpd_cpu}, $pgb->{wall} ],
    );
    print "\nPostgreSQL path, CPU us per row (user+system time):\n";
    printf "  %-11s %8s %7s %10s %7s %7s %7s  %s\n", '', 'rows', 'rows/s',
        'PostgreSQL', 'client', 'httpd', 'total', 'CPUs busy';
    for my $r (@rows) {
        my ($name, $n, $rate, @cpu) = @$r;
        my $wall = pop @cpu;
        my $sum = 0;
        $sum += $_ for @cpu;
        printf "  %-11s %8d %7.0f %10s %7s %7s %7s  %s\n", $name, $n, $rate,
            (map { fmt('%.1f', $n ? 1e6 * $_ / $n : undef) } @cpu, $sum),
            $wall > 0 ? sprintf('%.2f of %s', $sum / $wall, $cpus) : '-';
    }
    print "  PostgreSQL: the postmaster of the throwaway cluster and all"
        . " its processes\n  (live ones, and those it reaped, from /proc);"
        . " client: wrk for postgresql,\n  pgbench itself for pgbench"
        . " (times()); httpd: the postgresql configuration's\n  httpd, idle"
        . " while pgbench runs.  CPUs busy: the CPU time of these\n"
        . "  processes over the wall time around each run.\n";
    my $pg_row = $pgb->{pg_row_steady};
    if (defined $pg_row && defined $pgb->{connect_pg_cpu}) {
        $pg_row *= 1e6;
        printf "  pgbench's PostgreSQL time includes starting and ending its"
             . " %d connections\n  in each run: %.0f ms of PostgreSQL CPU a"
             . " run, by a run of one transaction\n  per client after each;"
             . " without them, %.1f us per row.\n", $CONNS,
             1e3 * $pgb->{connect_pg_cpu}, $pg_row;
    }
    else {
        $pg_row = $pgb->{transactions}
                  && 1e6 * $pgb->{pg_cpu} / $pgb->{transactions};
    }
    my $w = $floor && $floor->{answers}
            && 1e6 * $floor->{client_cpu} / $floor->{answers};
    if ($floor && $floor->{cpu_us} && $pg_row && $cpus =~ /^\d+$/) {
        my $sum = $pg_row + $floor->{cpu_us} + $w;
        my $rate = $cpus * 1e6 / $sum;
        $pg_bound = ratio($rate, $pgb->{tps});
        printf "  Estimate, not a measurement: if PostgreSQL cost per row"
             . " what it costs under\n  pgbench (%.1f us) and httpd cost"
             . " only the floor (%.1f us/event), with wrk at\n  its cost"
             . " under the floor (%.1f us/request), %d CPUs would allow at"
             . " most\n  %d / %.1f us = %.0f req/s through httpd: %.2fx"
             . " pgbench's measured %.0f.\n", $pg_row, $floor->{cpu_us}, $w,
             $cpus, $cpus, $sum, $rate, $pg_bound, $pgb->{tps};
    }
    else {
        print "  (The estimate of the highest rate through httpd needs the"
            . " floor in the run.)\n";
    }
    if ($pg_row && $t->{ok} && $cpus =~ /^\d+$/) {
        my $h = 1e6 * $t->{cpu} / $t->{ok};
        my $c = 1e6 * $t->{client_cpu} / $t->{ok};
        my $rate = $cpus * 1e6 / ($pg_row + $h + $c);
        printf "  With httpd and wrk at what they cost in the postgresql run"
             . " (%.1f and %.1f\n  us), the same arithmetic allows at most"
             . " %.0f req/s: %.2fx pgbench.\n", $h, $c, $rate,
             ratio($rate, $pgb->{tps});
    }
}

if ($cg) {
    printf "\nValidation and formatting, callgrind instructions per event"
         . " (N = %d and %d,\ndifference divided by %d):\n", @CG_N,
         $CG_N[1] - $CG_N[0];
    my @rows = (
        [ 'json_loadb alone, JSON_REJECT_DUPLICATES', 'jansson' ],
        [ 'json_loadb alone, flags 0', 'jansson0' ],
        [ 'spintly_event_parse + spintly_record_format', 'module' ],
        [ 'spintly_event_parse + SQL parameters', 'dbd' ],
        [ sprintf('the same event compacted (%d bytes):',
                  $cg->{compact_bytes}), undef ],
        [ 'json_loadb alone, JSON_REJECT_DUPLICATES', 'jansson_compact' ],
        [ 'spintly_event_parse + spintly_record_format', 'module_compact' ],
    );
    for (@rows) {
        my ($what, $mode) = @$_;
        unless (defined $mode) {
            print "  $what\n";
            next;
        }
        my $base = $mode =~ /_compact$/ ? 'jansson_compact' : 'jansson';
        printf "  %-48s %9s%s\n", $what, commas($cg->{$mode}),
            $mode =~ /^(?:module|dbd)/
                ? fmt('  %.2fx json_loadb', ratio($cg->{$mode},
                                                   $cg->{$base}))
                : '';
    }
    my %incl;
    for my $where (keys %{ $cg->{incl} }) {
        my ($fn) = cg_name($where);
        $incl{$fn} = $cg->{incl}{$where}
            if !defined $incl{$fn} || $cg->{incl}{$where} > $incl{$fn};
    }
    print "  parse + record, inclusive, per event:\n";
    for my $fn (qw(spintly_event_parse json_loadb json_object_get
                   spintly_record_format spintly_json_compact
                   spintly_format_time apr_pool_clear json_delete)) {
        printf "    %-26s %9s\n", $fn, commas($incl{$fn}) if $incl{$fn};
    }
    my (%lib, @self);
    for my $where (keys %{ $cg->{self} }) {
        my ($fn, $obj) = cg_name($where);
        $lib{$obj} += $cg->{self}{$where};
        push @self, [ $cg->{self}{$where}, $fn, $obj ];
    }
    print "  parse + record, self, by object: ",
        join(', ', map { "$_ " . commas($lib{$_}) }
                   sort { $lib{$b} <=> $lib{$a} } keys %lib), "\n";
    print "  parse + record, self, the top functions (jansson has no"
        . " symbols for its\n  static functions):\n";
    for my $f ((sort { $b->[0] <=> $a->[0] } @self)[0 .. 11]) {
        last unless $f;
        printf "    %9s  %s (%s)\n", commas($f->[0]), $f->[1], $f->[2];
    }
}

if (@mem) {
    printf "\nResident memory over %s requests (after %s to warm up), kB:\n",
        commas($MEM_N), commas($MEM_WARM);
    printf "  %-7s %-14s %8s %8s %8s %8s %8s %8s\n", 'config', 'process',
        'idle', 'before', 'half', 'after', 'growth', '2nd half';
    for my $m (@mem) {
        for my $pid (sort { ($a != $m->{parent}) <=> ($b != $m->{parent})
                            || $a <=> $b } keys %{ $m->{before} }) {
            my ($b, $h, $a) = map { $m->{$_}{$pid} } qw(before half after);
            printf "  %-7s %-14s %8s %8d %8s %8s %8s %8s\n", $m->{name},
                ($pid == $m->{parent} ? 'parent ' : 'child ') . $pid,
                $m->{idle}{$pid} // '-', $b, $h // 'gone', $a // 'gone',
                defined $a ? $a - $b : '-',
                defined $a && defined $h ? $a - $h : '-';
        }
        my $w = $m->{wrk};
        printf "  %-7s %s answers, %s 2xx%s, %.0f s, %.0f req/s%s%s\n", '',
            commas($w->{answers}), commas($w->{ok}),
            defined $m->{stored} ? ', ' . commas($m->{stored}) . ' stored'
                                 : '',
            $m->{seconds}, $w->{rate},
            $w->{errors} ? ", $w->{errors} connection errors" : '',
            @{ $m->{log} } ? sprintf(', %d error-log lines',
                                     scalar @{ $m->{log} }) : '';
    }
}

# ---- targets ---------------------------------------------------------------

print "\nTargets (issue 6; reported, never enforced):\n";
sub target {
    my ($what, $goal, $value, $ok) = @_;
    $value = undef if defined $value && $value eq '-';
    printf "  %-40s %-20s %-9s %s\n", $what, $goal, $value // '-',
        !defined $value ? 'not measured' : $ok ? 'met' : 'NOT MET';
}
unless ($MEM_ONLY) {
    for my $name (qw(file pipe)) {
        my $v = $by{$name} && $floor
              && ratio($by{$name}{total}{cpu_us}, $floor->{cpu_us});
        target("server CPU per event, $name", '<= 1.30x floor',
               fmt('%.2fx', $v || undef), $v && $v <= 1.3);
    }
    for my $name (qw(file pipe)) {
        my $v = $by{$name} && $floor
              && ratio($by{$name}{total}{rate}, $floor->{rate});
        target("requests per second, $name", '>= 0.80x floor',
               fmt('%.2fx', $v || undef), $v && $v >= 0.8);
    }
    my $v = $pgb && ratio($by{postgresql}{total}{rate}, $pgb->{tps});
    target('PostgreSQL requests per second', '>= 0.80x pgbench',
           fmt('%.2fx', $v || undef), $v && $v >= 0.8);
    $v = $cg && ratio($cg->{module}, $cg->{jansson});
    target('validation + formatting instructions', '<= 1.50x json_loadb',
           fmt('%.2fx', $v || undef), $v && $v <= 1.5);
    $v = $cg && ratio($cg->{module_compact}, $cg->{jansson_compact});
    target('  the same, the event compacted', '<= 1.50x json_loadb',
           fmt('%.2fx', $v || undef), $v && $v <= 1.5);
}
if (@mem) {
    for my $m (@mem) {
        my $worst;
        for my $pid (keys %{ $m->{before} }) {
            next unless defined $m->{after}{$pid};
            my $g = $m->{after}{$pid} - $m->{before}{$pid};
            $worst = $g if !defined $worst || $g > $worst;
        }
        target("RSS growth per process, $m->{name}",
               '<= 1024 kB', defined $worst ? "$worst kB" : undef,
               defined $worst && $worst <= 1024);
    }
}
else {
    printf "  %-40s %-20s %s\n", 'RSS growth per process, 1M requests',
        '<= 1024 kB', 'not run (BENCH_MEMORY=1)';
}
unless ($MEM_ONLY) {
    my @ref = grep { $by{$_} && $floor } qw(parse parse+write);
    my $p = $by{postgresql} && $pgb;
    print "  For orientation, not targets:\n" if @ref || $p;
    for my $ref (@ref) {
        printf "    %s %s the floor in CPU per event in this run\n"
             . "      (a reference, not mod_spintly).\n",
            $ref eq 'parse' ? 'jansson parse alone costs'
                            : 'parse + one write(2) costs',
            fmt('%.2fx', ratio($by{$ref}{total}{cpu_us}, $floor->{cpu_us}));
    }
    if ($p) {
        printf "    PostgreSQL: %s.\n", defined $pg_bound
            ? sprintf('the CPU estimate above allows at most %.2fx pgbench'
                      . "\n      on %s CPUs", $pg_bound, $cpus)
            : 'no CPU estimate (the floor was not run)';
    }
}

printf "\nmake bench took %.0f s%s.\n", time - $started,
    $ENV{BENCH_KEEP} ? "; the run's files are in $work" : '';
