# Pipe consumers across graceful restarts, consumer deaths and stop: every
# acknowledged event reaches a plain cat.
use strict;
use warnings;
use POSIX ();
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw read_records wait_for_lines
                   own_httpd consumer_pids);

my $KEY = 'life-key-0123456789abcdef';

sub conf_for {
    my ($consumer) = @_;
    return <<"C";
<Location /spintly>
    SetHandler spintly
    SpintlyApiKey $KEY life
    SpintlyLog "$consumer"
</Location>
C
}

sub post_id {
    my ($h, $id, %over) = @_;
    my ($s) = post_raw(port => $h->{port}, path => '/spintly',
                       headers => ['x-api-key' => $KEY,
                                   'Content-Type' => 'application/json'],
                       body => event_json(eventId => $id, %over));
    return $s;
}

sub ids_in {
    my ($file) = @_;
    my %ids;
    for (read_records($file)) {
        my $r = eval { decode_json($_) } or return;   # a torn line
        $ids{ $r->{message}{messageData}{data}{eventId} }++;
    }
    return \%ids;
}

# 1. Graceful restarts while clients post: the consumer is the same
#    process throughout and every 200 is in its file.
{
    my $h = own_httpd(conf => conf_for('|$cat >> @DIR@/events.jsonl'));
    my ($rc, $out) = $h->{start}->();
    is $rc, 0, 'httpd started' or diag $out;
    my $file = "$h->{dir}/events.jsonl";
    my @before;
    for (1 .. 100) {
        last if @before = consumer_pids("cat >> $file");
        sleep 0.05;
    }
    is scalar(@before), 1, 'one consumer';

    my $tmp = tempdir(CLEANUP => 1);
    my @kids;
    for my $c (1 .. 8) {
        my $pid = fork // die;
        if (!$pid) {
            open my $o, '>', "$tmp/$c" or die;
            my $end = time + 5;
            my $i = 0;
            while (time < $end) {
                my $id = 9_000_000 + $c * 100_000 + ++$i;
                my $s = post_id($h, $id,
                                $i % 7 ? () : (name => 'G' x 6000));
                print $o "$id $s\n";
            }
            close $o;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    my $restarts = 0;
    for (1 .. 8) {
        sleep 0.5;
        $h->{graceful}->();
        $restarts++;
    }
    waitpid $_, 0 for @kids;
    my (%acked, %st);
    for my $c (1 .. 8) {
        open my $i, '<', "$tmp/$c" or die;
        while (<$i>) { my ($id, $s) = split; $st{$s}++; $acked{$id} = 1 if $s == 200 }
    }
    my $acked = keys %acked;
    ok $acked > 100, "clients got 200s during $restarts graceful restarts ($acked)";
    is wait_for_lines($file, $acked, 20), $acked, 'as many lines as 200s';
    my $ids = ids_in($file);
    ok $ids, 'no torn line';
    is scalar(grep { !$ids->{$_} } keys %acked), 0,
       'every acknowledged event delivered by cat';
    is_deeply [consumer_pids("cat >> $file")], \@before,
        'the same consumer process after the restarts';
    diag "graceful: $restarts restarts, statuses "
       . join(', ', map { "$_: $st{$_}" } sort keys %st);

    # 2. A consumer that dies is started again on the same pipe: records
    #    it had not read survive.  Stop it so the records wait in the pipe.
    kill 'STOP', @before;
    my @queued = map { 9_500_000 + $_ } 1 .. 20;
    my @s = map { post_id($h, $_) } @queued;
    is scalar(grep { $_ == 200 } @s), 20, '200s while the consumer is stopped';
    kill 'KILL', @before;
    kill 'CONT', @before;
    my $n = wait_for_lines($file, $acked + 20, 20);
    $ids = ids_in($file);
    is scalar(grep { !$ids->{$_} } @queued), 0,
       'a new consumer delivered what waited in the pipe';
    my @after = consumer_pids("cat >> $file");
    is scalar(@after), 1, 'one consumer again';
    isnt $after[0], $before[0], 'a new process';

    # 3. Stop: the parent waits for the consumer to read to the end.
    #    This consumer sleeps before reading, so records wait in the pipe.
    $h->{stop}->();
}

{
    my $h = own_httpd(conf => conf_for('|$sleep 2; exec cat >> @DIR@/slow.jsonl'));
    my ($rc, $out) = $h->{start}->();
    is $rc, 0, 'httpd with a slow consumer started' or diag $out;
    my @ids = map { 9_600_000 + $_ } 1 .. 30;
    my @s = map { post_id($h, $_, $_ % 3 ? () : (name => 'S' x 9000)) } @ids;
    is scalar(grep { $_ == 200 } @s), 30, '30 acknowledged';
    ok !-s "$h->{dir}/slow.jsonl", 'none read yet';
    ok $h->{stop}->(), 'httpd stopped';
    my $ids = ids_in("$h->{dir}/slow.jsonl");
    ok $ids, 'no torn line';
    is scalar(grep { !$ids->{$_} } @ids), 0,
       'stop waited until the consumer had everything';
    is scalar(consumer_pids("slow.jsonl")), 0, 'and the consumer is gone';
}

# 4. A graceful restart that changes the command: the old consumer reads
#    what is left and exits; the new one takes the new events.
{
    my $h = own_httpd(conf => conf_for('|$cat >> @DIR@/a.jsonl'));
    my ($rc, $out) = $h->{start}->();
    is $rc, 0, 'httpd started';
    is post_id($h, 9_700_001), 200, 'event to the first consumer';
    my $conf = do { local (@ARGV, $/) = $h->{conf}; <> };
    $conf =~ s{a\.jsonl}{b.jsonl};
    open my $fh, '>', $h->{conf} or die;
    print $fh $conf;
    close $fh;
    $h->{graceful}->();
    my $ok = 0;
    for (1 .. 100) {
        $ok = post_id($h, 9_700_002) == 200
              && wait_for_lines("$h->{dir}/b.jsonl", 1, 0.1);
        last if $ok;
        sleep 0.1;
    }
    ok $ok, 'event to the new consumer after the restart';
    ok wait_for_lines("$h->{dir}/a.jsonl", 1, 5) >= 1
       && ids_in("$h->{dir}/a.jsonl")->{9_700_001},
       'old consumer delivered its event';
    my $gone = 0;
    for (1 .. 100) {
        last if $gone = !consumer_pids("a.jsonl");
        sleep 0.1;
    }
    ok $gone, 'the old consumer exited once drained';
    $h->{stop}->();
}

done_testing();
