package SpintlyTest;

# Shared helpers for mod_spintly's Apache::Test suite.

use strict;
use warnings;

use Exporter 'import';
use File::Spec;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(event_json sample_json post_raw read_records
                    wait_for_lines line_count logs_dir error_log_since
                    error_log_size is_problem own_httpd consumer_pids);

my $json = JSON::PP->new->utf8->canonical;

sub t_dir { my $d = File::Spec->rel2abs(__FILE__); $d =~ s{/lib/SpintlyTest\.pm$}{}; $d }
sub logs_dir { t_dir() . '/logs' }

# A valid event as a Perl structure; %over replaces fields of data.
sub event {
    my (%over) = @_;
    my $data = {
        orgId => 223, integratorId => 1, orgUserId => 335532,
        eventTimeEpoch => 1745235725, direction => 'entry',
        accessType => 'card', eventId => 222423, accessPointId => 54,
        employeeCode => 'A123', accessPointName => 'Entrance Door',
        mobileAccessMode => undef, siteId => 11, name => 'john dor',
    };
    @$data{keys %over} = values %over;
    return {
        messageVersion => 1,
        messageData => {
            requestId => 'dcea82c5-6135-4ccf-95a6-3cef3b62f4b8',
            msgType => 'access_event', dataVersion => 1, data => $data,
        },
    };
}

sub event_json { $json->encode(event(@_)) }

sub sample_json {
    my ($name) = @_;
    open my $fh, '<', t_dir() . "/data/$name" or die "$name: $!";
    local $/;
    return scalar <$fh>;
}

# Send one request by hand, exactly as given (the header list is sent in
# order, duplicates allowed).  Returns (status, {lc header => value}, body).
sub post_raw {
    my (%a) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $a{host} || '127.0.0.1',
                                     PeerPort => $a{port},
                                     Timeout => 30) or die "connect: $!";
    my $body = defined $a{body} ? $a{body} : '';
    my $method = $a{method} || 'POST';
    my @h = @{ $a{headers} || [] };
    my $req = "$method $a{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            . "Connection: close\r\n";
    while (my ($k, $v) = splice @h, 0, 2) { $req .= "$k: $v\r\n" }
    if ($a{chunked}) {
        $req .= "Transfer-Encoding: chunked\r\n\r\n";
        my $off = 0;
        while ($off < length $body) {
            my $piece = substr $body, $off, 8192;
            $req .= sprintf("%x\r\n", length $piece) . $piece . "\r\n";
            $off += length $piece;
        }
        $req .= "0\r\n\r\n";
    }
    else {
        $req .= "Content-Length: " . length($body) . "\r\n"
            unless $a{no_length};
        $req .= "\r\n" . $body;
    }
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite $sock, $req, 65536, $off;
        last unless $n;    # the server may answer and close early
        $off += $n;
    }
    my $resp = '';
    while (sysread $sock, my $buf, 65536) { $resp .= $buf }
    close $sock;
    my ($head, $rbody) = split /\r\n\r\n/, $resp, 2;
    return (0, {}, '') unless defined $head;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d+)};
    my %hdr;
    for (split /\r\n/, $head) {
        $hdr{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    return ($status, \%hdr, $rbody);
}

# Pipe consumers whose command line holds $pattern.  mod_spintly starts
# each in a session of its own, so only session leaders count: a shell's
# child between fork and exec, or a program the consumer runs, shows the
# same command line.  Zombies do not count.
sub consumer_pids {
    my ($pattern) = @_;
    my @pids;
    for my $dir (glob '/proc/[0-9]*') {
        my ($pid) = $dir =~ m{(\d+)$};
        open my $fh, '<', "$dir/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // next;
        $cmd =~ tr/\0/ /;
        next if index($cmd, $pattern) < 0;
        open my $st, '<', "$dir/stat" or next;
        my @f = split ' ', (split /\) /, scalar(<$st>), 2)[1];
        push @pids, $pid if $f[3] == $pid && $f[0] ne 'Z';
    }
    return @pids;
}

sub read_records {
    my ($file) = @_;
    open my $fh, '<', $file or return ();
    my @lines = <$fh>;
    return @lines;
}

sub line_count { scalar(my @l = read_records(@_)) }

# Pipe consumers write a little after the 200: wait for them.
sub wait_for_lines {
    my ($file, $want, $timeout) = @_;
    my $end = time + ($timeout || 10);
    my $n;
    while (($n = line_count($file)) < $want && time < $end) { sleep 0.05 }
    return $n;
}

sub error_log_size { -s (logs_dir() . '/error_log') || 0 }

sub error_log_since {
    my ($offset) = @_;
    open my $fh, '<', logs_dir() . '/error_log' or return '';
    seek $fh, $offset, 0;
    local $/;
    return scalar <$fh> // '';
}

# Is this response a well-formed RFC 9457 problem with this status?
sub is_problem {
    my ($status, $hdr, $body, $want) = @_;
    return 0 unless $status == $want;
    return 0 unless ($hdr->{'content-type'} || '') eq 'application/problem+json';
    my $p = eval { decode_json($body) } or return 0;
    return 0 unless ($p->{status} // 0) == $want;
    return 0 unless defined $p->{type} && defined $p->{title}
                    && length($p->{detail} // '');
    return $p;
}

# A throwaway httpd of our own (for stop, configtest and restart tests):
# own_httpd(conf => "text with @DIR@ and @PORT@").  Returns a hash with
# dir, port, conf and methods-by-closure start/stop/graceful/configtest.
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die $!;
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub own_httpd {
    my (%a) = @_;
    my $dir = tempdir('spintly-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $port = free_port();
    my $so = File::Spec->rel2abs(t_dir() . '/../mod_spintly/.libs/mod_spintly.so');
    my $user = $> == 0 ? "User www-data\nGroup www-data\n" : '';
    my $body = $a{conf};
    $body =~ s/\@DIR\@/$dir/g;
    $body =~ s/\@PORT\@/$port/g;
    my $conf = <<"CONF";
ServerRoot $dir
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
ErrorLog $dir/error.log
LogLevel info
${user}LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule spintly_module $so
$body
CONF
    open my $fh, '>', "$dir/httpd.conf" or die $!;
    print $fh $conf;
    close $fh;
    my $httpd = $ENV{SPINTLY_HTTPD} || '/usr/sbin/apache2';
    my $self = { dir => $dir, port => $port, conf => "$dir/httpd.conf" };
    my $ctl = sub {
        my @args = @_;
        my $out = `$httpd -f $dir/httpd.conf @args 2>&1`;
        return ($? >> 8, $out);
    };
    $self->{ctl} = $ctl;
    $self->{configtest} = sub { $ctl->('-t') };
    $self->{start} = sub {
        my @r = $ctl->('-k', 'start');
        for (1 .. 100) {
            last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
            sleep 0.05;
        }
        return @r;
    };
    $self->{pid} = sub {
        open my $p, '<', "$dir/httpd.pid" or return;
        my $pid = <$p>;
        chomp $pid;
        return $pid;
    };
    $self->{stop} = sub {
        my $pid = $self->{pid}->() or return;
        kill 'TERM', $pid;
        for (1 .. 600) { last unless kill 0, $pid; sleep 0.05 }
        return !kill 0, $pid;
    };
    $self->{graceful} = sub {
        my $pid = $self->{pid}->() or return;
        kill 'USR1', $pid;
    };
    return $self;
}

1;
