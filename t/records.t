# What a file destination receives: one compact JSON line per event.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json sample_json post_raw read_records logs_dir);

my $port = Apache::Test::vars('port');
my $file = logs_dir() . '/spintly-file.jsonl';
my @hdr = ('x-api-key' => 'test-key-0123456789abcdef',
           'Content-Type' => 'application/json');

sub post_and_read {
    my ($body) = @_;
    my $before = () = read_records($file);
    my ($s) = post_raw(port => $port, path => '/file', headers => \@hdr,
                       body => $body);
    my @lines = read_records($file);
    return ($s, scalar(@lines) - $before, $lines[-1]);
}

# Both reference payloads, pretty-printed as Spintly sends them.
for my $name (qw(card_event.json mobile_event.json)) {
    my $sent = sample_json($name);
    my ($s, $added, $line) = post_and_read($sent);
    is $s, 200, "$name accepted";
    is $added, 1, "$name: one line";
    like $line, qr/\n\z/, 'ends in a newline';
    is(($line =~ tr/\n//), 1, 'a pretty-printed body becomes one line');
    my $rec = decode_json($line);
    is_deeply $rec->{message}, decode_json($sent),
        "$name: the whole message as received";
    like $rec->{receivedAt},
        qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'receivedAt';
    is $rec->{keyName}, 'filekey', 'the key NAME, not the key';
    is $rec->{clientIp}, '127.0.0.1', 'client address';
    unlike $line, qr/test-key-0123456789abcdef/, 'never the key itself';
    unlike $line, qr/": /, 'compact';
}

# The employee code keeps its leading spaces; strings keep their blanks.
{
    my (undef, undef, $line) = post_and_read(sample_json('mobile_event.json'));
    like $line, qr/"employeeCode":" 12334"/, 'leading spaces kept';
    like $line, qr/"mobileAccessMode":"click_to_access\/tap_to_access"/,
        'string kept as sent';
}

# Unknown fields, at every level, are kept as they were.
{
    my $ev = decode_json(event_json(eventId => 5001));
    $ev->{extraTop} = { nested => [1, 2, { deep => "a b" }] };
    $ev->{messageData}{data}{timezonedEventTime} = '2025-04-21T17:12:05+05:30';
    $ev->{messageData}{data}{attributes} =
        [{ id => 1, name => 'Dept', termId => 7, termName => 'R&D' }];
    my $sent = JSON::PP->new->utf8->pretty->encode($ev);
    my ($s, $added, $line) = post_and_read($sent);
    is $s, 200, 'event with unknown fields accepted';
    is_deeply decode_json($line)->{message}, $ev, 'unknown fields kept';
}

# Escapes inside strings survive compaction byte for byte.
{
    my $sent = event_json(eventId => 5002,
                          name => "quote \" back \\ tab \t uni \x{e9}");
    my ($s, undef, $line) = post_and_read($sent);
    is $s, 200, 'event with escapes accepted';
    is decode_json($line)->{message}{messageData}{data}{name},
       "quote \" back \\ tab \t uni \x{e9}", 'escapes kept';
}

# A 10 KB event is written whole.
{
    my $sent = event_json(eventId => 5003, name => 'n' x 10240);
    my ($s, $added, $line) = post_and_read($sent);
    is $s, 200, '10 KB event accepted';
    is $added, 1, 'one line';
    ok length($line) > 10240, 'the whole 10 KB line';
    is length(decode_json($line)->{message}{messageData}{data}{name}), 10240,
        'name intact';
}

done_testing();
