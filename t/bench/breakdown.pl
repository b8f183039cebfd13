#!/usr/bin/perl
# make bench-breakdown: where a request's instructions go inside httpd with
# mod_spintly writing to a file: read (the body), parse (validation, and
# the message compacted in the same pass), format (the record), write (the
# destination), the handler's rest, and httpd outside the handler.  httpd
# -X runs under callgrind for two numbers of requests; the difference
# divided by the difference in requests leaves start-up and shut-down out.
# Instructions, not seconds: repeatable on a shared machine.  User space
# only: the kernel's share (the write(2) itself, the socket) is not
# counted.  BREAKDOWN_N="A B" sets the two numbers (200 1200); BENCH_KEEP=1
# keeps the run directory.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

$| = 1;
my $top  = abs_path("$FindBin::Bin/../..");
my $SO   = "$top/mod_spintly/.libs/mod_spintly.so";
my $MODS = '/usr/lib/apache2/modules';
my $KEY  = 'bench-key-0123456789abcdef';
my @N    = $ENV{BREAKDOWN_N} ? split(' ', $ENV{BREAKDOWN_N}) : (200, 1200);
my $body = do { local (@ARGV, $/) = "$top/t/data/card_event.json"; <> };

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die $!;
    return $s->sockport;
}

sub run_once {
    my ($n) = @_;
    my $dir = tempdir('spintly-breakdown-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{BENCH_KEEP});
    chmod 0777, $dir;
    my $port = free_port();
    open my $c, '>', "$dir/httpd.conf" or die $!;
    print $c <<"CONF";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule spintly_module $SO
KeepAlive On
MaxKeepAliveRequests 0
<Directory />
    AllowOverride None
</Directory>
<Location /spintly>
    SetHandler spintly
    SpintlyApiKey $KEY bench
    SpintlyLog "$dir/events.jsonl"
</Location>
CONF
    close $c;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$dir/valgrind.log";
        # As root, the whole server runs as www-data: httpd -X would drop
        # to it anyway, and callgrind must still write its file at exit.
        my @as = $> == 0 ? ('runuser', '-u', 'www-data', '--') : ();
        exec @as, 'valgrind', '--tool=callgrind',
             "--callgrind-out-file=$dir/cg.out",
             '/usr/sbin/apache2', '-X', '-f', "$dir/httpd.conf";
        die "exec: $!";
    }
    my $sock;
    for (1 .. 600) {
        last if $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        sleep 0.1;
    }
    die "httpd under callgrind did not start (see $dir)\n" unless $sock;
    for my $i (1 .. $n) {
        my $b = $body;
        my $id = 700_000_000 + $n * 10_000 + $i;
        $b =~ s/"eventId": \d+/"eventId": $id/;
        print $sock "POST /spintly HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  . "x-api-key: $KEY\r\nContent-Type: application/json\r\n"
                  . "Content-Length: " . length($b) . "\r\n\r\n$b";
        my ($head, $len) = ('', 0);
        while (my $line = <$sock>) {
            $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
            last if $line eq "\r\n";
            $head .= $line;
        }
        die "request $i: $head" unless $head =~ m{^HTTP/1\.1 200};
        my $ans;
        read $sock, $ans, $len;
    }
    close $sock;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    my $lines = () = do { open my $f, '<', "$dir/events.jsonl"; <$f> };
    die "expected $n records, found $lines\n" unless $lines == $n;
    return parse_callgrind("$dir/cg.out");
}

# Inclusive instructions of the functions that matter, and of each
# callee of spintly_handler (static helpers may or may not be inlined).
sub parse_callgrind {
    my ($file) = @_;
    my $out = `callgrind_annotate --inclusive=yes --tree=calling --threshold=100 $file 2>/dev/null`;
    my (%incl, %callee, $current, $total);
    for (split /\n/, $out) {
        $total = $1 if !defined $total && /^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS/;
        if (/^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\*\s+\S*:(\w+)/) {
            $current = $2;
            $incl{$2} //= num($1);
            next;
        }
        if (/^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+>\s+\S*:(\w+)/ && defined $current) {
            $callee{$current}{$2} += num($1);
        }
    }
    return { total => num($total // 0), incl => \%incl, callee => \%callee };
}

sub num { my ($s) = @_; $s =~ tr/,//d; return $s }

# Instructions per request inside the handler, by phase.
sub phases {
    my ($cg) = @_;
    my $h = $cg->{callee}{spintly_handler} || {};
    my %p = (read => 0, parse => 0, format => 0, write => 0);
    my $sum = sub {
        my ($callees) = @_;
        for my $f (keys %$callees) {
            my $v = $callees->{$f};
            if ($f eq 'ap_get_brigade' || $f eq 'read_body') { $p{read} += $v }
            elsif ($f eq 'spintly_event_parse') { $p{parse} += $v }
            elsif ($f eq 'spintly_record_format') { $p{format} += $v }
            elsif ($f eq 'spintly_dest_write') { $p{write} += $v }
        }
    };
    $sum->($h);
    if ($h->{store_everywhere} && (my $store = $cg->{callee}{store_everywhere})) {
        $sum->($store);
    }
    $p{handler} = $cg->{incl}{spintly_handler} // 0;
    $p{total} = $cg->{total};
    return \%p;
}

my @runs = map { phases(run_once($_)) } @N;
my $d = $N[1] - $N[0];
my %per = map { $_ => ($runs[1]{$_} - $runs[0]{$_}) / $d } keys %{ $runs[0] };
my $rest = $per{handler} - $per{read} - $per{parse} - $per{format} - $per{write};
my $outside = $per{total} - $per{handler};
printf "Instructions per request, httpd -X under callgrind, file destination\n"
     . "(%d and %d requests, difference divided by %d):\n", @N, $d;
my @rows = (['read the body', $per{read}],
            ['parse, validate, compact', $per{parse}],
            ['format the record', $per{format}], ['write it', $per{write}],
            ['rest of the handler', $rest], ['httpd outside the handler', $outside]);
for (@rows) {
    printf "  %-28s %10.0f  %5.1f%%\n", $_->[0], $_->[1],
           100 * $_->[1] / ($per{total} || 1);
}
printf "  %-28s %10.0f\n", 'all of httpd', $per{total};
print "  (user-space instructions; system calls' kernel time is not counted)\n";
