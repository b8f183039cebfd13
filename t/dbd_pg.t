# PostgreSQL through mod_dbd with the shipped schema and statement, on a
# throwaway server: insert, jsonb, duplicates, an outage, and two httpd
# servers writing the same events.
use strict;
use warnings;
use POSIX ();
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json sample_json post_raw own_httpd);

my $top = "$FindBin::Bin/..";
my $pg  = tempdir('spintly-pg-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{SPINTLY_KEEP});
my $KEY = 'pg-key-0123456789abcdef';

my ($port) = `$top/build/pg.sh start $pg` =~ /PGPORT=(\d+)/
    or BAIL_OUT("cannot start PostgreSQL: see $pg/postgres.log");
my $main_pid = $$;
END { system("$top/build/pg.sh stop $pg >/dev/null 2>&1") if $$ == $main_pid }

sub psql {
    my ($q) = @_;
    my $out = `$top/build/pg.sh psql $pg -Atc "$q" 2>&1`;
    chomp $out;
    return $out;
}
system("$top/build/pg.sh psql $pg -q -f $top/conf/schema-postgresql.sql")
    == 0 or BAIL_OUT('schema');

# The shipped configuration, pointed at this server.
sub pg_conf {
    open my $in, '<', "$top/conf/spintly-postgresql.conf" or die $!;
    my $conf = do { local $/; <$in> };
    $conf =~ s{^DBDParams .*$}
              {DBDParams "host=127.0.0.1 port=$port dbname=spintly user=spintly connect_timeout=3"}m;
    $conf =~ s{^(\s*)SpintlyApiKeyFile .*$}{$1SpintlyApiKey $KEY pg}m;
    return "LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so\n$conf";
}

sub post {
    my ($h, $body) = @_;
    my ($s, $hdr, $b) = post_raw(port => $h->{port}, path => '/spintly',
        body => $body,
        headers => ['x-api-key' => $KEY, 'Content-Type' => 'application/json']);
    my $ans = eval { decode_json($b) } || {};
    return ($s, $ans, $hdr);
}

my $h = own_httpd(conf => pg_conf());
my ($rc, $out) = $h->{start}->();
is $rc, 0, 'httpd with the shipped PostgreSQL configuration' or diag $out;

# Insert, typed columns, jsonb.
{
    my ($s, $ans) = post($h, sample_json('mobile_event.json'));
    is $s, 200, 'mobile event stored';
    ok !$ans->{duplicate}, 'not a duplicate';
    is psql("select org_id, event_id, site_id, direction, access_type,"
            . " employee_code, event_time at time zone 'UTC', key_name,"
            . " host(client_ip) from spintly_events where event_id = 226907180"),
       '2409|226907180|14603|entry|mobile| 12334|2025-04-02 10:01:06|pg|127.0.0.1',
       'typed columns';
    is psql("select pg_typeof(message), message->'messageData'->'data'->>"
            . "'mobileAccessMode' from spintly_events"
            . " where event_id = 226907180"),
       'jsonb|click_to_access/tap_to_access', 'message is jsonb';
    ($s) = post($h, sample_json('card_event.json'));
    is $s, 200, 'card event stored';
    is psql("select mobile_access_mode is null from spintly_events"
            . " where event_id = 222423"), 't', 'JSON null is SQL NULL';
    is_deeply decode_json(psql("select message from spintly_events"
                               . " where event_id = 222423")),
              decode_json(sample_json('card_event.json')), 'whole message';
}

# Redelivery.
{
    my ($s, $ans) = post($h, sample_json('card_event.json'));
    is $s, 200, 'redelivered: 200';
    ok $ans->{duplicate}, 'says duplicate';
    is psql("select count(*) from spintly_events where event_id = 222423"),
       1, 'one row';
}

# Outage: PostgreSQL stops, requests get 503; it starts, the same httpd
# answers 200 again (its connections were reset and lost their prepared
# statements).
{
    # warm up several pooled connections first
    my @s = map { (post($h, event_json(eventId => 40000 + $_)))[0] } 1 .. 20;
    is scalar(grep { $_ == 200 } @s), 20, '20 stored before the outage';
    system("$top/build/pg.sh restart-stop $pg >/dev/null") == 0
        or die 'restart-stop';
    my (%st, $retry_after);
    for my $i (1 .. 10) {
        my ($s, undef, $hdr) = post($h, event_json(eventId => 41000 + $i));
        $st{$s}++;
        $retry_after //= $hdr->{'retry-after'} if $s == 503;
    }
    is $st{503} // 0, 10, 'PostgreSQL down: every request 503'
        or diag explain \%st;
    like $retry_after // '', qr/^\d+$/, 'with Retry-After';
    system("$top/build/pg.sh restart-start $pg >/dev/null") == 0
        or die 'restart-start';
    %st = ();
    for my $i (1 .. 30) {
        my ($s) = post($h, event_json(eventId => 42000 + $i));
        $st{$s}++;
    }
    is $st{200} // 0, 30, 'PostgreSQL back: every request 200, no restart'
        or diag explain \%st;
    is psql("select count(*) from spintly_events where event_id between"
            . " 42001 and 42030"), 30, 'all 30 stored';
    is psql("select count(*) from spintly_events where event_id between"
            . " 41001 and 41010"), 0, 'none of the 503s stored';
}

# Two httpd servers, the same 1,000 events posted to both at once.
{
    my $h2 = own_httpd(conf => pg_conf());
    ($rc, $out) = $h2->{start}->();
    is $rc, 0, 'a second httpd on another port' or diag $out;
    my $tmp = tempdir(CLEANUP => 1);
    my @ids = map { 500_000 + $_ } 1 .. 1000;
    my $t0 = time;
    my @kids;
    for my $server ($h, $h2) {
        for my $c (0 .. 7) {
            my $pid = fork // die;
            if (!$pid) {
                open my $o, '>', "$tmp/$server->{port}-$c" or die;
                for my $k (grep { $_ % 8 == $c } 0 .. $#ids) {
                    my ($s, $ans) = post($server,
                                         event_json(eventId => $ids[$k]));
                    print $o "$ids[$k] $s ", ($ans->{duplicate} ? 1 : 0), "\n";
                }
                close $o;
                POSIX::_exit(0);
            }
            push @kids, $pid;
        }
    }
    waitpid $_, 0 for @kids;
    my $secs = time - $t0;
    my (%ok, $n200, $dups, %st);
    for my $f (glob "$tmp/*") {
        open my $i, '<', $f or die;
        while (<$i>) {
            my ($id, $s, $d) = split;
            $st{$s}++;
            next unless $s == 200;
            $n200++;
            $dups += $d;
            $ok{$id}++;
        }
    }
    my $rows = psql("select count(*) from spintly_events where event_id"
                    . " between 500001 and 501000");
    is $n200, 2000, 'both servers answered 200 for every event';
    is $rows, 1000, 'exactly 1,000 rows';
    is $dups, 1000, 'one of the two answers said duplicate, each time';
    diag sprintf('two servers: %d requests in %.1f s (%.0f req/s), '
                 . '%d answered 200, %d duplicates, %d rows',
                 2000, $secs, 2000 / $secs, $n200, $dups, $rows);
    $h2->{stop}->();
}

$h->{stop}->();
done_testing();
