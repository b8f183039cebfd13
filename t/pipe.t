# 50 clients posting at once to one pipe: every acknowledged event arrives
# as one intact line, large records (over PIPE_BUF) included.
use strict;
use warnings;
use POSIX ();
use Apache::Test qw(-withtestmore);
use JSON::PP;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw read_records wait_for_lines
                   line_count logs_dir);

my $port    = Apache::Test::vars('port');
my $pipe    = logs_dir() . '/spintly-pipe.jsonl';
my $clients = 50;
my $each    = 20;
my $tmp     = tempdir(CLEANUP => 1);
my $before  = line_count($pipe);

my @pids;
for my $c (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open my $out, '>', "$tmp/$c" or die $!;
        for my $i (1 .. $each) {
            my $id = 8_000_000 + $c * 1000 + $i;
            # every fifth record is larger than PIPE_BUF (4096)
            my $name = $i % 5 ? "client $c" : ('L' x (4000 + 700 * $c));
            my ($s) = post_raw(port => $port, path => '/pipe',
                headers => ['x-api-key' => ($c % 2 ? 'old' : 'new')
                                           . '-key-0123456789abcdef',
                            'Content-Type' => 'application/json'],
                body => event_json(eventId => $id, name => $name));
            print $out "$id $s\n";
        }
        close $out;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;

my (%acked, %status);
for my $c (1 .. $clients) {
    open my $in, '<', "$tmp/$c" or die $!;
    while (<$in>) {
        my ($id, $s) = split;
        $status{$s}++;
        $acked{$id} = 1 if $s == 200;
    }
}
my $sent = $clients * $each;
is $status{200} // 0, $sent, "all $sent requests answered 200"
    or diag explain \%status;

my $lines = wait_for_lines($pipe, $before + keys %acked, 20) - $before;
my @recs = (read_records($pipe))[$before .. $before + $lines - 1];
my ($bad, %seen, $large) = (0);
for my $line (@recs) {
    my $r = eval { decode_json($line) };
    if (!$r || $line !~ /\n\z/) { $bad++; next }
    my $id = $r->{message}{messageData}{data}{eventId};
    $seen{$id}++;
    $large++ if length($line) > 4096;
}
is $bad, 0, 'every line parses as one JSON record';
is $lines, scalar(keys %acked), '200s versus lines: equal';
is scalar(grep { !$seen{$_} } keys %acked), 0,
   'every acknowledged event is in the pipe consumer';
is scalar(grep { $seen{$_} > 1 } keys %seen), 0, 'none twice';
ok $large >= $clients, "large records among them ($large)";
diag "50 clients: $sent requests, " . ($status{200} // 0)
   . " answered 200, $lines lines, $bad unparsable, $large over 4096 bytes";

done_testing();
