# Every status of the HTTP contract, against the running test server.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json sample_json post_raw line_count logs_dir
                   error_log_size error_log_since is_problem);

my $port = Apache::Test::vars('port');
my $key  = 'test-key-0123456789abcdef';
my $file = logs_dir() . '/spintly-file.jsonl';
my @json = ('Content-Type' => 'application/json');

sub post {
    my (%a) = @_;
    return post_raw(port => $port, path => '/file', %a);
}

# Each rejection: the status, a problem document, nothing written, one
# tagged line in the error log, and never the key nor the body there.
sub rejected {
    my ($name, $want, %a) = @_;
    my $before = line_count($file);
    my $log_at = error_log_size();
    my ($status, $hdr, $body) = post(%a);
    my $p = is_problem($status, $hdr, $body, $want);
    ok $p, "$name: $want with a problem document"
        or diag "got $status: $body";
    is line_count($file), $before, "$name: nothing written";
    my $log = error_log_since($log_at);
    like $log, qr/SPT0101: rejected with $want\b/, "$name: tagged log line";
    unlike $log . $body, qr/test-key-0123456789abcdef|old-key-|new-key-/,
        "$name: no key in the log or the answer";
    return ($p, $hdr);
}

my $good = event_json();

# 405, with Allow
for my $m (qw(GET PUT DELETE PATCH)) {
    my (undef, $hdr) = rejected("$m", 405, method => $m,
                                headers => ['x-api-key' => $key]);
    is $hdr->{allow}, 'POST', "$m: Allow: POST";
}

# 401
rejected('no key', 401, headers => [@json], body => $good);
rejected('empty key', 401, headers => ['x-api-key' => '', @json],
         body => $good);
rejected('wrong key', 401,
         headers => ['x-api-key' => 'wrong-key-0123456789abcdef', @json],
         body => $good);
rejected('prefix of the key', 401,
         headers => ['x-api-key' => substr($key, 0, -1), @json],
         body => $good);
rejected('key plus one byte', 401,
         headers => ['x-api-key' => "${key}x", @json], body => $good);
rejected('key in another case', 401,
         headers => ['x-api-key' => uc $key, @json], body => $good);
rejected('two x-api-key headers', 401,
         headers => ['x-api-key' => $key, 'x-api-key' => $key, @json],
         body => $good);
rejected('key of another Location', 401,
         headers => ['x-api-key' => 'old-key-0123456789abcdef', @json],
         body => $good);
{
    my ($s) = post(headers => ['X-API-KEY' => $key, @json],
                   body => event_json(eventId => 401001));
    is $s, 200, 'the header name is case-insensitive';
}

# 415
rejected('text/plain', 415,
         headers => ['x-api-key' => $key, 'Content-Type' => 'text/plain'],
         body => $good);
rejected('form', 415,
         headers => ['x-api-key' => $key,
                     'Content-Type' => 'application/x-www-form-urlencoded'],
         body => $good);
{
    my ($s) = post(headers => ['x-api-key' => $key],
                   body => event_json(eventId => 415001));
    is $s, 200, 'no Content-Type at all is accepted';
    ($s) = post(headers => ['x-api-key' => $key,
                            'Content-Type' => 'application/json; charset=utf-8'],
                body => event_json(eventId => 415002));
    is $s, 200, 'application/json with a charset is accepted';
}

# 413, declared and chunked
my $big = event_json(name => 'x' x 70000);
rejected('body over the limit', 413,
         headers => ['x-api-key' => $key, @json], body => $big);
rejected('chunked body over the limit', 413,
         headers => ['x-api-key' => $key, @json], body => $big,
         chunked => 1);
{
    my ($s) = post(headers => ['x-api-key' => $key, @json],
                   body => event_json(eventId => 413001), chunked => 1);
    is $s, 200, 'a chunked body under the limit is accepted';
}

# 400
for my $bad ('', 'not json', '{"messageVersion":1', '{} trailing',
             '{"a":1,"a":2}') {
    my ($p) = rejected("not JSON: '$bad'", 400,
                       headers => ['x-api-key' => $key, @json],
                       body => $bad);
}

# 422 with the pointer
{
    my ($p) = rejected('eventId a string', 422,
                       headers => ['x-api-key' => $key, @json],
                       body => event_json(eventId => "12"));
    is $p->{pointer}, '/messageData/data/eventId', 'pointer names eventId';
    like $p->{detail}, qr{/messageData/data/eventId}, 'detail names it too';
    ($p) = rejected('direction', 422,
                    headers => ['x-api-key' => $key, @json],
                    body => event_json(direction => 'sideways'));
    is $p->{pointer}, '/messageData/data/direction', 'pointer: direction';
    ($p) = rejected('an array', 422,
                    headers => ['x-api-key' => $key, @json], body => '[1]');
    is $p->{pointer}, '', 'pointer: the whole document';
}

# 200: the answer, and the record written before it
{
    my $before = line_count($file);
    my ($s, $hdr, $body) = post(headers => ['x-api-key' => $key, @json],
                                body => sample_json('card_event.json'));
    is $s, 200, 'the card event is accepted';
    like $hdr->{'content-type'}, qr{^application/json}, 'answer is JSON';
    my $ans = decode_json($body);
    is $ans->{status}, 'accepted', 'status accepted';
    is $ans->{eventId}, 222423, 'eventId in the answer';
    is line_count($file), $before + 1, 'one line written before the 200';
}

# 503 when a destination cannot take it, with Retry-After
{
    my $log_at = error_log_size();
    my ($s, $hdr, $body) = post_raw(port => $port, path => '/full',
        headers => ['x-api-key' => 'full-key-0123456789abcdef', @json],
        body => $good);
    ok is_problem($s, $hdr, $body, 503), '503 with a problem document';
    like $hdr->{'retry-after'} // '', qr/^\d+$/, 'Retry-After';
    like error_log_since($log_at), qr/SPT0102: 503/, 'tagged 503 log line';
}

# and the server keeps serving
{
    my ($s) = post(headers => ['x-api-key' => $key, @json],
                   body => event_json(eventId => 999001));
    is $s, 200, 'still serving after every rejection';
}

done_testing();
