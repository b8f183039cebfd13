# SQLite under load: 32 clients for 10 s against the event MPM's processes
# and threads.  Every 200 is a row; the only 5xx allowed is 503.
use strict;
use warnings;
use POSIX ();
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw);

my $port    = Apache::Test::vars('port');
my $db      = "$FindBin::Bin/db/events.sqlite";
my $clients = 32;
my $seconds = $ENV{SPINTLY_LOAD_SECONDS} || 10;
my $tmp     = tempdir(CLEANUP => 1);

my $t0 = time;
my @kids;
for my $c (1 .. $clients) {
    my $pid = fork // die;
    if (!$pid) {
        open my $o, '>', "$tmp/$c" or die;
        my $end = time + $seconds;
        my $i = 0;
        while (time < $end) {
            my $id = 60_000_000 + $c * 1_000_000 + ++$i;
            my ($s) = post_raw(port => $port, path => '/sqlite',
                headers => ['x-api-key' => 'sqlite-key-0123456789abcdef',
                            'Content-Type' => 'application/json'],
                body => event_json(eventId => $id));
            print $o "$id $s\n";
        }
        close $o;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
my $elapsed = time - $t0;

my (%st, @acked);
for my $c (1 .. $clients) {
    open my $i, '<', "$tmp/$c" or die;
    while (<$i>) {
        my ($id, $s) = split;
        $st{$s}++;
        push @acked, $id if $s == 200;
    }
}
my $total = 0;
$total += $_ for values %st;
my %rows = map { $_ => 1 } split /\n/,
    `sqlite3 '$db' 'select event_id from spintly_events where event_id between 60000000 and 99999999'`;

ok @acked > 0, 'events stored under load';
is scalar(grep { !$rows{$_} } @acked), 0, 'every 200 is a row';
is scalar(keys %rows), scalar(@acked), 'and every row was answered 200';
is scalar(grep { $_ >= 500 && $_ != 503 } keys %st), 0,
   'no 5xx other than 503';
is scalar(grep { $_ < 200 || ($_ > 200 && $_ < 500) } keys %st), 0,
   'nothing else either';
diag sprintf('SQLite, %d clients, %.1f s: %d requests (%.0f req/s), '
             . '%d answered 200, %d rows, %d answered 503',
             $clients, $elapsed, $total, $total / $elapsed,
             $st{200} // 0, scalar(keys %rows), $st{503} // 0);
done_testing();
