package SpintlyFault;

# Fault tests for mod_spintly (issue 5): a steady load of concurrent
# clients with unique eventIds, a fault injected meanwhile, then the
# eventIds answered 2xx compared with those found in the destination.
# Used by t/fault/run.pl (long form, by hand) and t/fault.t (short form,
# inside make test).

use strict;
use warnings;

use Cwd ();
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::XS ();
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVTIMEO SO_SNDTIMEO IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC sleep);

use SpintlyTest qw(event_json own_httpd);

our @EXPORT_OK = qw(monotime consumer_pids httpd_pids run_faults
                    format_table);

my $KEY = 'fault-key-0123456789abcdef';
# The top of the source tree.
my $TOP = do {
    my $d = Cwd::abs_path(__FILE__);
    $d =~ s{/t/lib/SpintlyFault\.pm$}{} or die "where am I? $d\n";
    $d;
};

sub monotime { clock_gettime(CLOCK_MONOTONIC) }

# ---------------------------------------------------------------------------
# Processes

sub proc_stat {
    my ($pid) = @_;
    open my $st, '<', "/proc/$pid/stat" or return;
    my $line = <$st> // return;
    my ($rest) = $line =~ /\) (.*)$/s or return;
    my @f = split ' ', $rest;
    # state, ppid, pgrp, session
    return { state => $f[0], ppid => $f[1], pgrp => $f[2], sid => $f[3] };
}

sub all_pids {
    opendir my $d, '/proc' or return;
    return grep { /^\d+$/ } readdir $d;
}

# Pipe consumers whose command line holds $pattern: each runs in a session
# of its own, so only session leaders count (a shell's child between fork
# and exec shows the same command line).
sub consumer_pids {
    my ($pattern) = @_;
    my @pids;
    for my $pid (all_pids()) {
        open my $fh, '<', "/proc/$pid/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // next;
        $cmd =~ tr/\0/ /;
        next if index($cmd, $pattern) < 0;
        my $st = proc_stat($pid) or next;
        push @pids, $pid if $st->{sid} == $pid && $st->{state} ne 'Z';
    }
    return @pids;
}

# The pipe consumers of this httpd: children of its parent process, each
# in a session of its own.
sub consumers_of {
    my ($h) = @_;
    my $parent = $h->{pid}->() or return;
    return grep {
        my $st = proc_stat($_);
        $st && $st->{ppid} == $parent && $st->{sid} == $_
            && $st->{state} ne 'Z'
    } all_pids();
}

# Every live process of the httpd whose parent is $parent: httpd detaches
# into a session of its own, and its children share its process group
# (pipe consumers run in sessions of their own, so they are not counted).
sub httpd_pids {
    my ($parent) = @_;
    my $pgrp = (proc_stat($parent) || {})->{pgrp} // return;
    return group_pids($pgrp);
}

# The live (not zombie) processes of a process group.
sub group_pids {
    my ($pgrp) = @_;
    return grep {
        my $st = proc_stat($_);
        $st && $st->{pgrp} == $pgrp && $st->{state} ne 'Z'
    } all_pids();
}

# ---------------------------------------------------------------------------
# The load: forked clients, each on a persistent connection.

# One request on $c->{sock} (connecting first if needed).  Returns
# (status, reason): status 0 when no answer came, with the reason
# (refused, closed, reset, timeout).
sub request_once {
    my ($c, $req, $timeout) = @_;
    if (!$c->{sock}) {
        $c->{sock} = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                           PeerPort => $c->{port},
                                           Proto => 'tcp',
                                           Timeout => $timeout)
            or return (0, $!{ECONNREFUSED} ? 'refused' : 'connect');
        my $tv = pack 'l!l!', int($timeout),
                              int(($timeout - int $timeout) * 1e6);
        setsockopt $c->{sock}, SOL_SOCKET, SO_RCVTIMEO, $tv;
        setsockopt $c->{sock}, SOL_SOCKET, SO_SNDTIMEO, $tv;
        setsockopt $c->{sock}, IPPROTO_TCP, TCP_NODELAY, 1;
        $c->{reused} = 0;
    }
    else {
        $c->{reused} = 1;
    }
    my $sock = $c->{sock};
    my $deadline = monotime() + $timeout;
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite $sock, $req, length($req) - $off, $off;
        if (!defined $n) {
            next if $!{EINTR};
            return drop($c, $!{EAGAIN} ? 'timeout' : 'closed');
        }
        $off += $n;
    }
    my $buf = '';
    my ($status, $len, $close, $head_len);
    while (1) {
        if (!defined $head_len && (my $i = index $buf, "\r\n\r\n") >= 0) {
            $head_len = $i + 4;
            my $head = substr $buf, 0, $i;
            ($status) = $head =~ m{^HTTP/1\.\d (\d{3})};
            ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            $close = $head =~ /^Connection:\s*close/mi;
            return drop($c, 'garbled') unless $status && defined $len;
        }
        last if defined $head_len && length($buf) >= $head_len + $len;
        return drop($c, 'timeout') if monotime() > $deadline;
        my $n = sysread $sock, $buf, 65536, length $buf;
        if (!defined $n) {
            next if $!{EINTR};
            return drop($c, 'timeout') if $!{EAGAIN};
            return drop($c, length $buf ? 'reset' : 'closed');
        }
        return drop($c, length $buf ? 'reset' : 'closed') if $n == 0;
    }
    drop($c) if $close;
    return ($status, '');
}

sub drop {
    my ($c, $why) = @_;
    close $c->{sock} if $c->{sock};
    $c->{sock} = undef;
    return (0, $why);
}

# One client: posts events with unique ids until the file $a{stop}
# exists, appending "id status start end reason" to its file.  A request
# whose reused connection was closed before any answer (the keep-alive
# race: the server closed an idle connection as we sent) is sent once
# more on a new connection, as any HTTP client does.
sub client {
    my ($n, %a) = @_;
    srand($$);
    my $c = { port => $a{port} };
    my $small = event_json(eventId => 999_999_999_999, name => "client $n");
    my $large = event_json(eventId => 999_999_999_999,
                           name => 'L' x 5000);
    open my $out, '>', "$a{dir}/client-$n" or die "$a{dir}/client-$n: $!";
    my $i = 0;
    until (-e $a{stop}) {
        my $id = $a{base} + $n * 1_000_000 + ++$i;
        my $body = ($a{large_every} && $i % $a{large_every} == 0)
                 ? $large : $small;
        $body =~ s/999999999999/$id/;
        my $req = "POST $a{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                . "x-api-key: $KEY\r\nContent-Type: application/json\r\n"
                . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
        my $t0 = monotime();
        my ($s, $why) = request_once($c, $req, $a{timeout});
        if (!$s && $why eq 'closed' && $c->{reused}
            && monotime() - $t0 < $a{timeout} - 0.5) {
            ($s, $why) = request_once($c, $req,
                                      $a{timeout} - (monotime() - $t0));
            $why = "retried-$why" if !$s;
        }
        my $t1 = monotime();
        printf $out "%d %d %.6f %.6f %s\n", $id, $s, $t0, $t1,
                    $why || '-';
        # nobody listens: do not spin
        sleep 0.05 if !$s && $why =~ /refused|connect/;
    }
    close $out;
}

# Start $a{clients} clients; returns a handle for load_finish, which
# stops them.
sub load_start {
    my (%a) = @_;
    my $dir = tempdir('spintly-load-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $stop = "$dir/stop";
    my @pids;
    for my $n (1 .. $a{clients}) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            # The clients stand for senders on other machines: they
            # should not take the CPU from httpd and its consumers.
            POSIX::nice(5);
            $SIG{PIPE} = 'IGNORE';
            eval { client($n, %a, dir => $dir, stop => $stop); 1 }
                or print STDERR "client $n: $@";
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return { dir => $dir, pids => \@pids, stop => $stop,
             start => monotime(), clients => $a{clients} };
}

# Wait for the clients; returns a list of requests
# [id, status, start, end, reason].
sub load_finish {
    my ($load) = @_;
    open my $fh, '>', $load->{stop} or die "$load->{stop}: $!";
    close $fh;
    waitpid $_, 0 for @{ $load->{pids} };
    my @req;
    for my $n (1 .. $load->{clients}) {
        open my $in, '<', "$load->{dir}/client-$n" or next;
        while (<$in>) {
            chomp;
            push @req, [split / /];
        }
    }
    return \@req;
}

# ---------------------------------------------------------------------------
# Destinations: eventId => how many times it is there.

# A JSON-lines file.  A line that does not parse (torn by a short write,
# or two records run together) counts as torn, and its events are not
# there: a reader could not get them.
sub ids_in_file {
    my ($file) = @_;
    my (%ids, @torn);
    open my $fh, '<', $file or return (\%ids, []);
    my $json = JSON::XS->new;
    while (my $line = <$fh>) {
        my $r = $line =~ /\n\z/ && eval { $json->decode($line) };
        my $id = ref $r eq 'HASH'
                 && eval { $r->{message}{messageData}{data}{eventId} };
        if (!$id) {
            push @torn, describe_torn($., $line);
            next;
        }
        $ids{$id}++;
    }
    return (\%ids, \@torn);
}

# What a torn line looks like: where, how long, how many record starts,
# which eventIds it holds.
sub describe_torn {
    my ($n, $line) = @_;
    my $starts = () = $line =~ /\{"receivedAt"/g;
    my @ids = $line =~ /"eventId":(\d+)/g;
    return sprintf('line %d: %d bytes%s, %d record start%s, eventIds %s',
                   $n, length $line, $line =~ /\n\z/ ? '' : ' (no newline)',
                   $starts, $starts == 1 ? '' : 's',
                   @ids ? join(' ', @ids) : 'none');
}

sub ids_from_command {
    my ($cmd) = @_;
    my %ids;
    open my $fh, '-|', $cmd or die "$cmd: $!";
    while (<$fh>) {
        chomp;
        $ids{$_}++ if /^\d+$/;
    }
    close $fh or die "$cmd failed ($?)\n";
    return \%ids;
}

# ---------------------------------------------------------------------------
# Judging a run.

# Compare answers with the destination.  %a: name, requests, stored,
# o (the options: write and client timeouts), forgive_missing (a
# predicate on a request), forgive_other (likewise), torn, notes,
# failures (found by the fault itself).
sub judge {
    my (%a) = @_;
    my $req = $a{requests};
    my $row = { fault => $a{name}, requests => scalar @$req,
                ok => 0, s503 => 0, other => 0, missing => 0,
                forgiven => 0, other_forgiven => 0, dups => 0,
                longest => 0, notes => [@{ $a{notes} || [] }],
                torn => scalar @{ $a{torn} || [] }, failures => [] };
    my (%acked, %why, $first, $last);
    for my $r (@$req) {
        my ($id, $s, $t0, $t1, $reason) = @$r;
        my $rt = $t1 - $t0;
        $row->{longest} = $rt if $rt > $row->{longest};
        $first = $t0 if !defined $first || $t0 < $first;
        $last = $t1 if !defined $last || $t1 > $last;
        if ($s >= 200 && $s < 300) {
            $row->{ok}++;
            $acked{$id} = $r;
        }
        elsif ($s == 503) {
            $row->{s503}++;
        }
        else {
            $row->{other}++;
            my $k = $s ? "HTTP $s" : $reason;
            if ($a{forgive_other} && $a{forgive_other}->($r)) {
                $row->{other_forgiven}++;
                $k .= ' (forgiven)';
            }
            $why{$k}++;
        }
    }
    my $stored = $a{stored};
    for my $id (keys %acked) {
        next if $stored->{$id};
        if ($a{forgive_missing} && $a{forgive_missing}->($acked{$id})) {
            $row->{forgiven}++;
        }
        else {
            $row->{missing}++;
            push @{ $row->{missing_req} }, $acked{$id};
        }
    }
    my $unacked = 0;
    for my $id (keys %$stored) {
        $row->{dups} += $stored->{$id} - 1;
        $unacked++ unless $acked{$id};
    }
    my $secs = ($last // 0) - ($first // 0);
    $row->{rate} = $secs > 0 ? $row->{requests} / $secs : 0;
    push @{ $row->{notes} }, sprintf('%.1f s, %.0f requests/s', $secs,
                                     $row->{rate});
    push @{ $row->{notes} }, 'other: '
        . join(', ', map { "$why{$_} $_" } sort keys %why) if %why;
    push @{ $row->{notes} }, "$row->{forgiven} missing within 100 ms of a"
        . ' kill (forgiven)' if $row->{forgiven};
    push @{ $row->{notes} }, "$unacked stored but not answered 2xx"
        if $unacked;
    push @{ $row->{notes} }, "$row->{torn} torn lines ("
        . first_few('; ', 3, @{ $a{torn} }) . ')' if $row->{torn};
    push @{ $row->{notes} }, 'missing eventIds: ' . first_few(' ', 5,
        sort map { $_->[0] } @{ $row->{missing_req} }) if $row->{missing};

    my $f = $row->{failures};
    push @$f, "$row->{missing} acknowledged but missing" if $row->{missing};
    push @$f, ($row->{other} - $row->{other_forgiven})
        . ' requests answered neither 2xx nor 503'
        if $row->{other} > $row->{other_forgiven};
    push @$f, "$row->{torn} torn lines in the destination" if $row->{torn};
    # Past the write timeout a request must have its 503; a second more
    # is allowed for the rest of the request and the scheduler.
    my $bound = $a{o}{write_timeout} + 1;
    push @$f, sprintf('a response took %.2f s (write timeout %d s, client '
                      . 'timeout %d s)', $row->{longest},
                      $a{o}{write_timeout}, $a{o}{client_timeout})
        if $row->{longest} > $bound;
    push @$f, 'no request was acknowledged' unless $row->{ok};
    push @$f, @{ $a{failures} || [] };
    $row->{pass} = !@$f;
    return $row;
}

sub first_few {
    my ($sep, $n, @list) = @_;
    return join($sep, @list) if @list <= $n;
    return join($sep, @list[0 .. $n - 1], '...');
}

sub format_table {
    my (@rows) = @_;
    my @head = ('fault', 'requests', '2xx', '503', 'other',
                'acked-missing', 'duplicates', 'longest', 'result');
    my @lines;
    for my $r (grep { !$_->{skip} } @rows) {
        push @lines, [$r->{fault}, $r->{requests}, $r->{ok}, $r->{s503},
                      $r->{other}, $r->{missing}, $r->{dups},
                      sprintf('%.2f s', $r->{longest}),
                      $r->{pass} ? 'pass' : 'FAIL'];
    }
    my @w = map { length } @head;
    for my $l (@lines) {
        $w[$_] = length $l->[$_] > $w[$_] ? length $l->[$_] : $w[$_]
            for 0 .. $#$l;
    }
    my $fmt = join(' | ', "%-$w[0]s", map { "%$w[$_]s" } 1 .. $#w) . "\n";
    my $out = sprintf $fmt, @head;
    $out .= join('-+-', map { '-' x $_ } @w) . "\n";
    my $i = 0;
    for my $r (@rows) {
        if ($r->{skip}) {
            $out .= sprintf "%-$w[0]s | skipped: %s\n", $r->{fault},
                            $r->{skip};
            next;
        }
        $out .= sprintf $fmt, @{ $lines[$i++] };
    }
    $out .= "\n";
    for my $r (@rows) {
        next if $r->{skip};
        $out .= "$r->{fault}: " . join('; ', @{ $r->{notes} }) . "\n";
        $out .= "$r->{fault}: FAILED: " . join('; ', @{ $r->{failures} })
              . "\n" unless $r->{pass};
    }
    return $out;
}

# ---------------------------------------------------------------------------
# The faults.  Each takes the options of run_faults and returns a row.

# SpintlyWriteTimeout, unless the long form runs with the default (5 s).
sub timeout_conf {
    my ($o) = @_;
    return '' if $o->{default_timeout};
    return "    <IfDirective SpintlyWriteTimeout>\n"
         . "        SpintlyWriteTimeout $o->{write_timeout}\n"
         . "    </IfDirective>\n";
}

sub location {
    my ($o, $dest, @more) = @_;
    my $extra = join '', map { "    $_\n" } @more;
    return <<"C";
<Location /spintly>
    SetHandler spintly
    SpintlyApiKey $KEY fault
    SpintlyLog "$dest"
@{[ timeout_conf($o) ]}$extra</Location>
C
}

sub start_httpd {
    my ($conf) = @_;
    my $h = own_httpd(conf => $conf);
    my ($rc, $out) = $h->{start}->();
    die "httpd did not start: $out\n" if $rc;
    return $h;
}

sub load_args {
    my ($o, $h, $base, %more) = @_;
    return (port => $h->{port}, path => '/spintly', clients => $o->{clients},
            timeout => $o->{client_timeout}, base => $base,
            large_every => 16, %more);
}

sub stop_httpd {
    my ($h, $row_failures) = @_;
    push @$row_failures, 'httpd did not stop within 30 s'
        unless $h->{stop}->();
}

# The consumer's database: the shipped schema without its unique key, so
# that an event stored twice shows as two rows.
sub consumer_db {
    my ($dir) = @_;
    open my $in, '<', "$TOP/conf/schema-sqlite.sql" or die $!;
    my $schema = do { local $/; <$in> };
    $schema =~ s/,(\s*--[^\n]*)?\n\s*UNIQUE \(org_id, event_id\)/$1/
        or die "schema-sqlite.sql: no UNIQUE (org_id, event_id)\n";
    my $db = "$dir/consumer.sqlite";
    open my $sq, '|-', "sqlite3 '$db' >/dev/null" or die "sqlite3: $!";
    print $sq $schema;
    close $sq or die "sqlite3 $db: schema failed\n";
    return $db;
}

# 1. The pipe consumer (conf/spintly-consumer-sqlite) SIGKILLed after
#    each second it runs.
sub fault_consumer_kill {
    my ($o) = @_;
    my $dir = tempdir('spintly-f1-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $db = consumer_db($dir);
    my $h = start_httpd(location($o,
        "||$TOP/conf/spintly-consumer-sqlite $db"));
    my @fail;
    my $load = load_start(load_args($o, $h, 1_000_000_000));
    my $end = monotime() + $o->{seconds};
    # Each consumer is killed once it has run for a second.  httpd starts
    # the next one when it notices the death (its parent looks about once
    # a second); meanwhile records wait in the pipe, and the new consumer
    # first catches up with them.  A kill during that catch-up would lose
    # records answered long before it, which no consumer can avoid, so
    # each one gets its second.
    my (@kills, @gaps, %seen, $many);
    while (monotime() < $end - 0.5) {
        my @pids = consumers_of($h);
        $many = @pids if @pids > 1;
        for my $pid (@pids) {
            if (!$seen{$pid}) {
                $seen{$pid} = monotime();
                push @gaps, $seen{$pid} - $kills[-1] if @kills;
            }
            next if monotime() - $seen{$pid} < 1;
            push @kills, monotime();
            kill 'KILL', $pid;
        }
        sleep 0.01;
    }
    push @fail, "$many consumers at once" if $many;
    push @fail, 'no consumer was killed' unless @kills;
    sleep 0.5;
    my $req = load_finish($load);
    stop_httpd($h, \@fail);
    push @fail, 'the consumer is still running after httpd stopped'
        if consumer_pids("spintly-consumer-sqlite $db");
    my $stored = ids_from_command("sqlite3 '$db' "
                                  . "'select event_id from spintly_events'");
    my $row = judge(name => '1 consumer SIGKILL/1s', requests => $req,
                    stored => $stored, o => $o,
                    failures => \@fail,
                    notes => [scalar(@kills) . ' kills', sprintf(
                        'a new consumer ran %.2f s after a kill at most',
                        (sort { $b <=> $a } @gaps, 0)[0])],
                    forgive_missing => sub {
                        my $t1 = $_[0][3];
                        return grep { abs($t1 - $_) <= 0.1 } @kills;
                    });
    # How long before the next kill the missing events were answered.
    if (my @m = @{ $row->{missing_req} || [] }) {
        my @before = sort { $a <=> $b } map {
            my $t1 = $_->[3];
            my ($k) = grep { $_ >= $t1 } @kills;
            defined $k ? ($k - $t1) * 1000 : ();
        } @m;
        push @{ $row->{notes} }, sprintf('the missing were answered %.0f to'
            . ' %.0f ms before a kill (%d after the last)', $before[0] // 0,
            $before[-1] // 0, @m - @before);
    }
    return $row;
}

# Did some request get a 2xx after $t, and some a 503 at all?  A fault
# that changes nothing proves nothing.
sub recovered_after {
    my ($req, $t) = @_;
    return grep { $_->[1] >= 200 && $_->[1] < 300 && $_->[2] > $t } @$req;
}

sub count_503 { scalar grep { $_->[1] == 503 } @{ $_[0] } }

# 2. The pipe consumer (cat) stopped with SIGSTOP for longer than the
#    write timeout, then continued.
sub fault_consumer_stop {
    my ($o) = @_;
    my $dir = tempdir('spintly-f2-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $file = "$dir/events.jsonl";
    my $h = start_httpd(location($o, "|\$exec cat >> $file"));
    my @fail;
    my $stopped = $o->{write_timeout} + 3;
    my $load = load_start(load_args($o, $h, 2_000_000_000));
    sleep $o->{seconds} / 2;
    my @pids = consumers_of($h);
    push @fail, 'no consumer found to stop' unless @pids;
    kill 'STOP', @pids;
    sleep $stopped;
    kill 'CONT', @pids;
    my $cont = monotime();
    sleep $o->{seconds} / 2;
    my $req = load_finish($load);
    stop_httpd($h, \@fail);
    my ($stored, $torn) = ids_in_file($file);
    push @fail, 'no 503 while the consumer was stopped' unless count_503($req);
    push @fail, 'no 2xx after the consumer continued'
        unless recovered_after($req, $cont);
    return judge(name => '2 consumer SIGSTOP', requests => $req,
                 stored => $stored, torn => $torn,
                 o => $o, failures => \@fail,
                 notes => ["stopped ${stopped} s, write timeout "
                           . "$o->{write_timeout} s"]);
}

# 3. A graceful restart every 2 s (apache2 -f CONF -k graceful, which is
#    what apachectl -k graceful runs), with a plain cat consumer.
sub fault_graceful {
    my ($o) = @_;
    my $dir = tempdir('spintly-f3-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $file = "$dir/events.jsonl";
    my $h = start_httpd(location($o, "|\$cat >> $file"));
    my @fail;
    my @before;
    for (1 .. 100) {
        last if @before = consumers_of($h);
        sleep 0.05;
    }
    my $load = load_start(load_args($o, $h, 3_000_000_000));
    my $end = monotime() + $o->{seconds};
    my $restarts = 0;
    while (monotime() + 2 <= $end) {
        sleep 2;
        my ($rc, $out) = $h->{ctl}->('-k', 'graceful');
        if ($rc) {
            push @fail, "apachectl -k graceful failed: $out";
            last;
        }
        $restarts++;
    }
    sleep $end - monotime() if $end > monotime();
    my $req = load_finish($load);
    my @after = consumers_of($h);
    push @fail, "the consumer changed (@before, then @after)"
        unless "@before" eq "@after" && @before == 1;
    stop_httpd($h, \@fail);
    my ($stored, $torn) = ids_in_file($file);
    return judge(name => '3 graceful/2s', requests => $req,
                 stored => $stored, torn => $torn,
                 o => $o, failures => \@fail,
                 notes => ["$restarts graceful restarts"]);
}

# 4. Every httpd process SIGKILLed mid-load, then httpd started again;
#    a file destination, with SpintlySync Off or On.
sub fault_httpd_kill {
    my ($o, $sync) = @_;
    my $name = "4 kill -9 httpd, sync " . ($sync ? 'On' : 'Off');
    my $dir = tempdir('spintly-f4-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $file = "$dir/events.jsonl";
    my $h = start_httpd(location($o, $file,
        "<IfDirective SpintlySync>",
        "    SpintlySync " . ($sync ? 'On' : 'Off'),
        "</IfDirective>"));
    my @fail;
    my @notes;
    my (undef, $dirs) = $h->{ctl}->('-L');
    push @notes, 'SpintlySync is not a directive yet: both modes are the '
               . 'same' unless $dirs =~ /SpintlySync/;
    my $load = load_start(load_args($o, $h, ($sync ? 5 : 4) * 1e9));
    sleep $o->{seconds} / 2;
    my $parent = $h->{pid}->();
    my $pgrp = (proc_stat($parent) || {})->{pgrp};
    my $killed = monotime();
    my @pids = httpd_pids($parent);
    kill 'KILL', -$pgrp if $pgrp;
    # By process group, not by the parent: once the parent is reaped its
    # children are init's, and a child inside fdatasync (SpintlySync On)
    # dies only when the call returns, holding the listening socket until
    # then; starting httpd before would fail with EADDRINUSE.
    my $gone = 0;
    for (1 .. 600) {
        last if $gone = !($pgrp && group_pids($pgrp));
        sleep 0.05;
    }
    push @fail, 'httpd processes left 30 s after SIGKILL' unless $gone;
    # The dead parent may stay a zombie for a while (here pid 1 reaps
    # slowly), and httpd -k start would take it for a running httpd.
    unlink "$h->{dir}/httpd.pid";
    my ($rc, $out) = $h->{start}->();
    my $up = monotime();
    push @fail, "httpd did not start again: $out" if $rc;
    push @notes, sprintf('%d processes killed, down %.2f s', scalar @pids,
                         $up - $killed);
    sleep $o->{seconds} / 2;
    my $req = load_finish($load);
    stop_httpd($h, \@fail);
    push @fail, 'no 2xx after the restart' unless recovered_after($req, $up);
    my ($stored, $torn) = ids_in_file($file);
    return judge(name => $name, requests => $req, stored => $stored,
                 torn => $torn, o => $o,
                 failures => \@fail, notes => \@notes,
                 # requests cut by the kill, or refused while httpd was down
                 forgive_other => sub {
                     my ($id, $s, $t0, $t1, $why) = @{ $_[0] };
                     return !$s && $t1 >= $killed && $t0 <= $up;
                 });
}

# 5. PostgreSQL stopped for 5 s and started again.
sub fault_pg_outage {
    my ($o) = @_;
    my $name = '5 PostgreSQL down 5 s';
    my $pgdir = tempdir('spintly-f5-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $pg = "$TOP/build/pg.sh";
    my ($port) = `$pg start $pgdir 2>&1` =~ /PGPORT=(\d+)/
        or die "cannot start PostgreSQL (build/pg.sh start $pgdir)\n";
    my $row = eval {
        system("$pg psql $pgdir -q -f $TOP/conf/schema-postgresql.sql")
            == 0 or die "schema-postgresql.sql failed\n";
        open my $in, '<', "$TOP/conf/spintly-postgresql.conf" or die $!;
        my $conf = do { local $/; <$in> };
        my $params = "host=127.0.0.1 port=$port dbname=spintly "
                   . 'user=spintly connect_timeout=3';
        $conf =~ s{^DBDParams .*$}{DBDParams "$params"}m;
        my $timeout = timeout_conf($o);
        $conf =~ s{^(\s*)SpintlyApiKeyFile .*$}
                  {$1SpintlyApiKey $KEY fault\n$timeout}m;
        my $h = start_httpd("LoadModule dbd_module "
                            . "/usr/lib/apache2/modules/mod_dbd.so\n$conf");
        my @fail;
        my $load = load_start(load_args($o, $h, 6_000_000_000));
        sleep $o->{seconds} / 2;
        my $down = monotime();
        system("$pg restart-stop $pgdir >/dev/null") == 0
            or push @fail, 'pg.sh restart-stop failed';
        sleep 5;
        system("$pg restart-start $pgdir >/dev/null") == 0
            or push @fail, 'pg.sh restart-start failed';
        my $up = monotime();
        sleep $o->{seconds} / 2;
        my $req = load_finish($load);
        stop_httpd($h, \@fail);
        push @fail, 'no 503 while PostgreSQL was down'
            unless count_503($req);
        push @fail, 'no 2xx after PostgreSQL was back'
            unless recovered_after($req, $up);
        my $stored = ids_from_command(
            "$pg psql $pgdir -Atc 'select event_id from spintly_events'");
        judge(name => $name, requests => $req, stored => $stored,
              o => $o, failures => \@fail,
              notes => [sprintf('down %.1f s (stop to started again); '
                                . 'duplicates are one row (unique key)',
                                $up - $down)]);
    };
    my $err = $@;
    system("$pg stop $pgdir >/dev/null 2>&1");
    die $err if $err;
    return $row;
}

# 6. The file destination's file system full: a tmpfs of our own, filled
#    up mid-load by another file, which is removed again later.
sub fault_disk_full {
    my ($o) = @_;
    my $name = '6 disk full';
    return { fault => $name, skip => 'needs root to mount a tmpfs' }
        if $> != 0;
    my $dir = tempdir('spintly-f6-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $mnt = "$dir/fs";
    mkdir $mnt or die "$mnt: $!";
    my $mount = "mount -t tmpfs -o size=$o->{tmpfs_mb}m,mode=0755 "
              . "spintly-fault $mnt";
    my $out = `$mount 2>&1`;
    return { fault => $name, skip => "cannot mount a tmpfs: $out" } if $?;
    my $row = eval {
        my $file = "$mnt/events.jsonl";
        my $h = start_httpd(location($o, $file));
        my @fail;
        my $full_for = $o->{write_timeout} + 1;
        my $load = load_start(load_args($o, $h, 7_000_000_000));
        sleep $o->{seconds} / 2;
        my $full = monotime();
        my $filled = fill_up("$mnt/filler");
        sleep $full_for;
        unlink "$mnt/filler";
        my $room = monotime();
        sleep $o->{seconds} / 2;
        my $req = load_finish($load);
        stop_httpd($h, \@fail);
        push @fail, 'no 503 while the disk was full' unless count_503($req);
        push @fail, 'no 2xx once the disk had room again'
            unless recovered_after($req, $room);
        my ($stored, $torn) = ids_in_file($file);
        judge(name => $name, requests => $req, stored => $stored,
              torn => $torn, o => $o,
              failures => \@fail,
              notes => [sprintf('tmpfs %d MiB, filled up with %.1f MiB '
                                . 'for %d s', $o->{tmpfs_mb},
                                $filled / 1048576, $full_for)]);
    };
    my $err = $@;
    system('umount', $mnt);
    die $err if $err;
    return $row;
}

# Write to $path until the file system has no byte left.
sub fill_up {
    my ($path) = @_;
    open my $fh, '>', $path or die "$path: $!";
    my $total = 0;
    for my $size (1 << 20, 4096, 1) {
        my $chunk = "\0" x $size;
        while (1) {
            my $n = syswrite $fh, $chunk;
            last unless $n;
            $total += $n;
        }
    }
    close $fh;
    return $total;
}

# Run the faults.  %o: long (20 s of load per fault, write timeout 5 s)
# or not (a few seconds, write timeout 2 s); only => [numbers];
# seconds, write_timeout, clients to override; progress => sub { text }.
sub run_faults {
    my (%o) = @_;
    $o{clients}       ||= 32;
    $o{seconds}       ||= $o{long} ? 20 : 5;
    $o{default_timeout} = $o{long} && !$o{write_timeout};
    $o{write_timeout} ||= $o{long} ? 5 : 2;
    $o{client_timeout} = $o{write_timeout} + 2;
    $o{tmpfs_mb}      ||= $o{long} ? 512 : 128;
    my %only = map { $_ => 1 } @{ $o{only} || [1 .. 6] };
    my @plan = (
        [1, \&fault_consumer_kill, '1 consumer SIGKILL/1s'],
        [2, \&fault_consumer_stop, '2 consumer SIGSTOP'],
        [3, \&fault_graceful, '3 graceful/2s'],
        [4, sub { fault_httpd_kill($_[0], 0) }, '4 kill -9 httpd, sync Off'],
        [4, sub { fault_httpd_kill($_[0], 1) }, '4 kill -9 httpd, sync On'],
        [5, \&fault_pg_outage, '5 PostgreSQL down 5 s'],
        [6, \&fault_disk_full, '6 disk full'],
    );
    my @rows;
    for my $p (@plan) {
        next unless $only{ $p->[0] };
        my $t0 = monotime();
        my $row = eval { $p->[1]->(\%o) };
        if (!$row) {
            $row = { fault => $p->[2], pass => 0, requests => 0,
                     ok => 0, s503 => 0, other => 0, missing => 0,
                     dups => 0, longest => 0, notes => [],
                     failures => ["died: $@"] };
        }
        $row->{elapsed} = monotime() - $t0;
        $o{progress}->($row) if $o{progress};
        push @rows, $row;
    }
    return @rows;
}

1;
