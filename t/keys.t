# Two keys at once, keys from a file, several destinations, merging.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use Digest::SHA qw(sha1_hex);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw read_records wait_for_lines
                   line_count logs_dir);

my $port = Apache::Test::vars('port');
my $logs = logs_dir();
my @json = ('Content-Type' => 'application/json');

sub post {
    my ($path, $key, $body) = @_;
    my ($s) = post_raw(port => $port, path => $path,
                       headers => ['x-api-key' => $key, @json],
                       body => $body);
    return $s;
}

# Rotation: both configured keys work, each recorded under its NAME.
{
    my $pipe = "$logs/spintly-pipe.jsonl";
    my $n = line_count($pipe);
    is post('/pipe', 'old-key-0123456789abcdef', event_json(eventId => 7001)),
       200, 'old key accepted';
    is post('/pipe', 'new-key-0123456789abcdef', event_json(eventId => 7002)),
       200, 'new key accepted';
    is wait_for_lines($pipe, $n + 2), $n + 2, 'both in the pipe consumer';
    my %name = map { my $r = decode_json($_);
                     ($r->{message}{messageData}{data}{eventId} => $r->{keyName}) }
               read_records($pipe);
    is $name{7001}, 'old', 'recorded as old';
    is $name{7002}, 'new', 'recorded as new';
}

# SpintlyApiKeyFile: a named key and one named by fingerprint; both
# destinations get every event.
{
    my @dest = ("$logs/spintly-keyfile.jsonl", "$logs/spintly-keyfile-2.jsonl");
    my @n = map { line_count($_) } @dest;
    is post('/keyfile', 'keyfile-key-a-0123456789abcdef',
            event_json(eventId => 7101)), 200, 'named key from the file';
    is post('/keyfile', 'keyfile-key-b-0123456789abcdef',
            event_json(eventId => 7102)), 200, 'unnamed key from the file';
    is post('/keyfile', 'test-key-0123456789abcdef',
            event_json(eventId => 7103)), 401, 'a key of another Location';
    for my $i (0, 1) {
        my @recs = map { decode_json($_) } read_records($dest[$i]);
        is scalar(@recs), $n[$i] + 2, "destination $i got both";
        is $recs[-2]{keyName}, 'a-key', "destination $i: the given name";
        my $fp = 'sha1:' . substr(sha1_hex('keyfile-key-b-0123456789abcdef'), 0, 8);
        is $recs[-1]{keyName}, $fp, "destination $i: default name is the fingerprint";
    }
}

# An inner Location overrides only what it sets: the limit, not the keys
# nor the destination.
{
    my $file = "$logs/spintly-merge.jsonl";
    my $n = line_count($file);
    my $body = event_json(eventId => 7201);
    ok length($body) > 200, 'the event is over the inner limit';
    is post('/merge', 'merge-key-0123456789abcdef', $body), 200,
       'outer Location: default limit';
    is post('/merge/small', 'merge-key-0123456789abcdef', $body), 413,
       'inner Location: its own limit';
    is post('/merge/small', 'wrong-key-0123456789abcdef', '{}'), 401,
       'inner Location: keys inherited';
    is line_count($file), $n + 1, 'destination inherited, nothing for 413';
}

done_testing();
