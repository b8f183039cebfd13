# SpintlyWriteTimeout: a stopped pipe consumer costs a request at most the
# timeout (503 with Retry-After), never a torn line; SpintlySync On writes
# before it answers.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw read_records wait_for_lines
                   own_httpd);

my $KEY = 'time-key-0123456789abcdef';

my $h = own_httpd(conf => <<"C");
<Location /pipe>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyWriteTimeout 1
    SpintlyLog "|\$cat >> \@DIR\@/pipe.jsonl"
</Location>
<Location /sync>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlySync On
    SpintlyLog \@DIR\@/sync.jsonl
</Location>
C
my ($rc, $out) = $h->{start}->();
is $rc, 0, 'httpd started' or diag $out;

sub post {
    my ($path, $id, %over) = @_;
    my $t0 = time;
    my ($s, $hdr) = post_raw(port => $h->{port}, path => $path,
        headers => ['x-api-key' => $KEY, 'Content-Type' => 'application/json'],
        body => event_json(eventId => $id, %over));
    return ($s, time - $t0, $hdr);
}

# This server's consumer: a session leader running "cat >> DIR/pipe.jsonl".
sub consumer {
    for my $dir (glob '/proc/[0-9]*') {
        my ($pid) = $dir =~ m{(\d+)$};
        open my $fh, '<', "$dir/cmdline" or next;
        my $cmd = do { local $/; <$fh> } // next;
        return $pid if $cmd eq "sh\0-c\0cat >> $h->{dir}/pipe.jsonl\0";
    }
    return 0;
}

my $pid;
for (1 .. 100) { last if $pid = consumer(); sleep 0.05 }
ok $pid > 1, 'pipe consumer running' or BAIL_OUT('no consumer to stop');
kill 'STOP', -$pid;    # its process group: sh and cat

# Fill the pipe (1 MB) with small events; once it is full, a request
# waits about a second and gets 503.
my (%acked, %refused, $first_503, $slowest);
my $id = 70_000;
sub fill {
    my (%over) = @_;
    for (1 .. 3000) {
        my ($s, $secs, $hdr) = post('/pipe', ++$id, %over);
        $slowest = $secs if !defined $slowest || $secs > $slowest;
        if ($s == 200) { $acked{$id} = 1; next }
        $refused{$id} = 1;
        return [$s, $secs, $hdr->{'retry-after'}];
    }
    return;
}
$first_503 = fill();
ok $first_503, 'a 503 once the stopped consumer\'s pipe is full';
is $first_503->[0], 503, 'status 503';
like $first_503->[2] // '', qr/^\d+$/, 'with Retry-After';
ok $first_503->[1] >= 0.9 && $first_503->[1] < 3,
   sprintf('after about the timeout (%.2f s)', $first_503->[1]);

# A record larger than PIPE_BUF waits for room for all of it, then 503.
my $large = fill(name => 'T' x 8000);
is $large->[0], 503, 'a large event: 503 too';
ok $large->[1] >= 0.9 && $large->[1] < 3,
   sprintf('after about the timeout (%.2f s)', $large->[1]);
ok $slowest < 3, sprintf('no request waited past it (slowest %.2f s)',
                         $slowest);

kill 'CONT', -$pid;
my @ok;
for my $n (1 .. 20) {
    my ($st) = post('/pipe', 80_000 + $n, $n % 2 ? () : (name => 'C' x 6000));
    push @ok, 80_000 + $n if $st == 200;
}
is scalar(@ok), 20, 'consumer continued: 200s again';
$acked{$_} = 1 for @ok;
my $file = "$h->{dir}/pipe.jsonl";
wait_for_lines($file, scalar(keys %acked), 20);
my (%seen, $torn);
for (read_records($file)) {
    my $r = eval { decode_json($_) } or do { $torn++; next };
    $seen{ $r->{message}{messageData}{data}{eventId} }++;
}
ok !$torn, 'no torn line';
is scalar(grep { !$seen{$_} } keys %acked), 0,
   'every acknowledged event arrived';
is scalar(grep { $seen{$_} } keys %refused), 0,
   'the 503 events were not written';

# SpintlySync On: the 200 comes with the line in the file.
{
    my ($st) = post('/sync', 90_001);
    is $st, 200, 'SpintlySync On: 200';
    my @l = read_records("$h->{dir}/sync.jsonl");
    is scalar(@l), 1, 'line written';
}

$h->{stop}->();
done_testing();
