# Hostile and malformed requests, as anyone on the internet may send them.
# Every case checks the status and the answer (problem+json when the module
# answers, httpd's own page when httpd does), that no destination received
# anything, that neither the answer nor the error log holds a configured
# key, and that the next valid event is still accepted.  README.md,
# "Validation", says what is refused and why.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json sample_json logs_dir is_problem own_httpd);

my $KEY   = 'test-key-0123456789abcdef';
my @json  = ('Content-Type' => 'application/json');
my @auth  = ('x-api-key' => $KEY, @json);
my $card  = sample_json('card_event.json');
my $next_id = 9_100_000;
my %answered_by = (module => 0, httpd => 0);

# ---- where requests go ----------------------------------------------------

# The Apache::Test server's /file: one key, one file.
my %main = (
    name => 'test server',
    port => Apache::Test::vars('port'),
    path => '/file',
    key  => $KEY,
    file => logs_dir() . '/spintly-file.jsonl',
    log  => logs_dir() . '/error_log',
    dests => sub { glob(logs_dir() . '/*.jsonl') },
);

# ---- what the test server is configured with ------------------------------

# Every key in the test configuration, to check none is ever echoed or
# logged: SpintlyApiKey lines and the key files they name.
sub configured_keys {
    my @keys;
    for my $conf (glob "$FindBin::Bin/conf/*.conf") {
        open my $fh, '<', $conf or next;
        while (<$fh>) {
            push @keys, $1 if /^\s*SpintlyApiKey\s+"?([^\s"]+)/;
            if (/^\s*SpintlyApiKeyFile\s+"?([^\s"]+)/) {
                open my $kf, '<', $1 or next;
                while (<$kf>) {
                    push @keys, $1 if /^\s*([^#\s]\S*)/;
                }
            }
        }
    }
    return @keys;
}
my @keys = configured_keys();
ok scalar(grep { $_ eq $KEY } @keys), 'the configured keys are known'
    or diag "keys found: @keys";

# ---- HTTP by hand ---------------------------------------------------------

sub request_text {
    my (%a) = @_;
    my $method = $a{method} || 'POST';
    my $body = defined $a{body} ? $a{body} : '';
    my $text = "$method $a{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             . "Connection: close\r\n";
    my @h = @{ $a{headers} || [] };
    while (my ($k, $v) = splice @h, 0, 2) { $text .= "$k: $v\r\n" }
    if ($a{chunked}) {
        $text .= "Transfer-Encoding: chunked\r\n\r\n";
        for (my $off = 0; $off < length $body; $off += 65536) {
            my $piece = substr $body, $off, 65536;
            $text .= sprintf("%x\r\n", length $piece) . "$piece\r\n";
        }
        return $text . "0\r\n\r\n";
    }
    $text .= 'Content-Length: '
           . (defined $a{length} ? $a{length} : length $body) . "\r\n"
        unless $a{no_length};
    return "$text\r\n$body";
}

sub parse_response {
    my ($raw) = @_;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    return (0, {}, '') unless defined $head && length $head;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d+)};
    my %hdr;
    for (split /\r\n/, $head) {
        $hdr{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    return ($status // 0, \%hdr, $body // '');
}

sub connect_to {
    my ($t) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $t->{port}, Timeout => 30)
        or die "connect: $!";
    return $sock;
}

# Send bytes as they are; close our side when asked (a client that gives
# up), then read the whole answer.
sub send_raw {
    my ($t, $bytes, %opt) = @_;
    my $sock = connect_to($t);
    local $SIG{PIPE} = 'IGNORE';
    for (my $off = 0; $off < length $bytes;) {
        my $n = syswrite $sock, $bytes, 65536, $off;
        last unless $n;    # the server may answer and close early
        $off += $n;
    }
    shutdown $sock, 1 if $opt{close_write};
    my $resp = '';
    my $sel = IO::Select->new($sock);
    while ($sel->can_read(30)) {
        last unless sysread $sock, my $buf, 65536;
        $resp .= $buf;
    }
    close $sock;
    return parse_response($resp);
}

sub post {
    my ($t, %a) = @_;
    return send_raw($t, request_text(path => $t->{path}, %a));
}

# Expect: 100-continue as curl does it: the headers, then the body only
# after "100 Continue".  Returns the final answer and whether 100 came.
sub post_expecting_100 {
    my ($t, %a) = @_;
    my $text = request_text(path => $t->{path}, %a,
                            headers => [@{ $a{headers} },
                                        Expect => '100-continue'],
                            body => '', length => length $a{body});
    my $sock = connect_to($t);
    local $SIG{PIPE} = 'IGNORE';
    print $sock $text;
    my $sel = IO::Select->new($sock);
    my $resp = '';
    if ($sel->can_read(5)) {
        sysread $sock, $resp, 65536;
    }
    my $continued = $resp =~ s{^HTTP/1\.1 100 Continue\r\n\r\n}{};
    if ($continued) {
        syswrite $sock, $a{body};
        while ($sel->can_read(30)) {
            last unless sysread $sock, my $buf, 65536;
            $resp .= $buf;
        }
    }
    close $sock;
    return (parse_response($resp), $continued);
}

# ---- the checks every case makes ------------------------------------------

sub sizes {
    my ($t) = @_;
    return { map { ($_ => -s $_) } $t->{dests}->() };
}

sub log_size { -s $_[0] || 0 }

sub log_since {
    my ($file, $offset) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $offset, 0;
    local $/;
    return scalar <$fh> // '';
}

sub holds_a_key {
    my ($text) = @_;
    for my $k (@keys) {
        return $k if index($text, $k) >= 0;
    }
    return;
}

# After every case: a valid event is accepted and written, once.
sub still_serving {
    my ($t, $name) = @_;
    my $id = ++$next_id;
    my $before = () = lines($t->{file});
    my ($s, undef, $body) = post($t, headers => ['x-api-key' => $t->{key},
                                                 @json],
                                 body => event_json(eventId => $id));
    my @after = lines($t->{file});
    ok $s == 200 && @after == $before + 1 && $after[-1] =~ /"eventId":$id\b/,
        "$name: the next valid event is accepted"
        or diag "got $s: $body";
}

sub lines {
    open my $fh, '<', $_[0] or return ();
    return <$fh>;
}

# One bad request.  $send gives (status, headers, body); %opt:
#   by       'module' (default): problem+json, an SPT0101 line;
#            'httpd': httpd's own HTML page
#   pointer  the problem's pointer; detail: a regex it must match
#   head     a HEAD request: no body to check
sub bad {
    my ($t, $name, $want, $send, %opt) = @_;
    my $by = $opt{by} || 'module';
    my $before = sizes($t);
    my $log_at = log_size($t->{log});
    my ($status, $hdr, $body, @extra) = $send->();

    is $status, $want, "$name: $want";
    if ($by eq 'httpd') {
        like $hdr->{'content-type'} // '', qr{^text/html},
            "$name: answered by httpd itself";
    }
    elsif ($opt{head}) {
        is $hdr->{'content-type'}, 'application/problem+json',
            "$name: problem+json headers";
    }
    else {
        my $p = is_problem($status, $hdr, $body, $want);
        ok $p, "$name: a problem document"
            or diag "got $status: " . substr($body, 0, 300);
        ok length($body) <= 600, "$name: a short answer"
            or diag length($body) . " bytes";
        is $p->{pointer}, $opt{pointer}, "$name: pointer"
            if $p && exists $opt{pointer};
        like $p->{detail}, $opt{detail}, "$name: detail"
            if $p && $opt{detail};
    }
    $answered_by{$by}++;
    # httpd may log a little after it answers
    my $log = '';
    for (1 .. 20) {
        $log = log_since($t->{log}, $log_at);
        last if $by ne 'module' || $log =~ /SPT0101/;
        sleep 0.05;
    }
    like $log, qr/SPT0101: rejected with $want\b/, "$name: tagged log line"
        if $by eq 'module';
    is_deeply sizes($t), $before, "$name: no destination got anything";
    my $answer = join("\n", map { "$_: $hdr->{$_}" } sort keys %$hdr)
               . "\n$body";
    my $leaked = holds_a_key($answer . $log);
    ok !defined $leaked, "$name: no key in the answer or the log"
        or diag "found $leaked";
    still_serving($t, $name);
    return ($status, $hdr, $body, @extra);
}

# Shorthands for the test server's /file.
sub bad_body {
    my ($name, $want, $body, %opt) = @_;
    return bad(\%main, $name, $want,
               sub { post(\%main, headers => \@auth, body => $body) }, %opt);
}

sub bad_post {
    my ($name, $want, $args, %opt) = @_;
    return bad(\%main, $name, $want, sub { post(\%main, %$args) }, %opt);
}

# The card event with data members changed (undef: removed).
sub card_with {
    my (%set) = @_;
    my $ev = decode_json($card);
    while (my ($path, $v) = each %set) {
        my @p = split m{/}, $path;
        my $last = pop @p;
        my $o = $ev;
        $o = $o->{$_} for @p;
        if (ref $v eq 'SCALAR') { $o->{$last} = undef }    # \'null'
        elsif (defined $v)      { $o->{$last} = $v }
        else                    { delete $o->{$last} }
    }
    return JSON::PP->new->canonical->encode($ev);
}

# The card event's text with one piece replaced, for what JSON::PP would
# not write.
sub card_text {
    my ($from, $to) = @_;
    my $text = $card;
    $text =~ s/\Q$from\E/$to/ or die "$from not in the card event";
    return $text;
}

my $D = 'messageData/data';

# ---- the body is not one JSON text: 400 -----------------------------------

bad_body('empty body', 400, '', detail => qr/the body is empty/);
bad_post('no body at all', 400,
         { headers => \@auth, no_length => 1 }, detail => qr/empty/);
bad_body('white space only', 400, " \r\n\t \n", detail => qr/empty/);
bad_body('cut short', 400, substr($card, 0, 200));
bad_body('trailing garbage', 400, "$card garbage",
         detail => qr/at byte \d+: end of file expected/);
bad_body('a second document', 400, "$card\n$card");
bad_body('200-deep nesting', 400, ('[' x 200) . (']' x 200),
         detail => qr/nested deeper than 16 at byte 17\b/);
# (100k-deep nesting is over 64 KB: see the server of its own below)
bad_body('a duplicate key', 400, '{"messageVersion":1,' . substr($card, 1),
         detail => qr/duplicate object key/);
bad_body('a duplicate key in data', 400,
         card_text('"eventId": 222423', '"eventId": 222423, "eventId": 1'),
         detail => qr/duplicate/);
bad_body('a duplicate key spelt with an escape', 400,
         card_text('"siteId": 11', '"siteId": 11, "site\u0049d": 11'),
         detail => qr/duplicate/);
bad_body('a NUL byte inside a string', 400,
         card_text('john dor', "john\0dor"), detail => qr/a NUL byte at byte/);
bad_body('\u0000 inside a string', 400,
         card_text('john dor', 'john\u0000dor'),
         detail => qr/\\u0000 is not accepted/);
bad_body('invalid UTF-8', 400, card_text('john dor', "john \xff dor"));
bad_body('overlong UTF-8', 400, card_text('john dor', "john \xc0\xaf dor"));
bad_body('a UTF-16 surrogate in UTF-8', 400,
         card_text('john dor', "john \xed\xa0\x80 dor"));
bad_body('a lone surrogate escape', 400, card_text('john dor', 'john \ud800'));
bad_body('a byte-order mark', 400, "\xef\xbb\xbf$card");
bad_body('single quotes', 400, "{'messageVersion': 1}");
bad_body('a form posted as JSON', 400, 'messageVersion=1&eventId=222423');
bad_body('NaN', 400, card_text('"eventId": 222423', '"eventId": NaN'));
bad_body('a comment', 400, "/* from spintly */ $card");
bad_body('a raw tab inside a string', 400, card_text('john dor', "john\tdor"));
bad_post('cut JSON, chunked', 400,
         { headers => \@auth, body => substr($card, 0, 300), chunked => 1 });
bad(\%main, 'a Content-Length smaller than the body', 400, sub {
    my $text = request_text(path => '/file', headers => \@auth,
                            body => $card, length => length($card) - 20);
    return send_raw(\%main, $text);
});
bad(\%main, 'a Content-Length larger than the body, then the client closes',
    400, sub {
    my $text = request_text(path => '/file', headers => \@auth,
                            body => $card, length => length($card) + 100);
    return send_raw(\%main, $text, close_write => 1);
}, detail => qr/could not be read/);

# ---- JSON, but not an event: 422 ------------------------------------------

bad_body('a JSON array', 422, "[$card]", pointer => '',
         detail => qr/must be a JSON object/);
bad_body('a JSON string', 422, '"access_event"', pointer => '');
bad_body('a JSON number', 422, '222423', pointer => '');
bad_body('JSON null', 422, 'null', pointer => '');

for my $path ('messageVersion', 'messageData', 'messageData/msgType',
              'messageData/dataVersion', 'messageData/requestId',
              'messageData/data',
              map { "$D/$_" } qw(eventId orgId eventTimeEpoch direction
                                 accessType siteId accessPointId orgUserId
                                 integratorId)) {
    bad_body("$path missing", 422, card_with($path => undef),
             pointer => "/$path", detail => qr{^/\Q$path\E is required$});
}

my %wrong_type = (
    'messageVersion' => '1',
    'messageData' => [],
    'messageData/msgType' => 1,
    'messageData/dataVersion' => '1',
    'messageData/requestId' => 42,
    'messageData/data' => 'data',
    "$D/eventId" => '222423',
    "$D/orgId" => JSON::PP::true,
    "$D/eventTimeEpoch" => '1745235725',
    "$D/direction" => 1,
    "$D/accessType" => 7,
    "$D/siteId" => '11',
    "$D/accessPointId" => [54],
    "$D/orgUserId" => { id => 335532 },
    "$D/integratorId" => 1.5,
    "$D/employeeCode" => 12334,
    "$D/accessPointName" => [],
    "$D/name" => {},
    "$D/mobileAccessMode" => JSON::PP::false,
);
for my $path (sort keys %wrong_type) {
    my $shown = JSON::PP->new->allow_nonref->encode($wrong_type{$path});
    bad_body("$path as $shown", 422, card_with($path => $wrong_type{$path}),
             pointer => "/$path", detail => qr{^/\Q$path\E must be });
}

for my $id (qw(eventId orgId siteId accessPointId orgUserId integratorId
               eventTimeEpoch)) {
    for my $v (0, -1) {
        bad_body("$id $v", 422, card_with("$D/$id" => $v),
                 pointer => "/$D/$id",
                 detail => qr/must be a positive integer$/);
    }
}
bad_body('eventId beyond int64', 422,
         card_text('"eventId": 222423', '"eventId": 9223372036854775808'),
         pointer => "/$D/eventId", detail => qr/fits in 64 bits/);
bad_body('eventId below int64', 422,
         card_text('"eventId": 222423', '"eventId": -9223372036854775809'),
         pointer => "/$D/eventId");
bad_body('eventId 1e999', 422,
         card_text('"eventId": 222423', '"eventId": 1e999'),
         pointer => "/$D/eventId");
bad_body('eventId as a float', 422,
         card_text('"eventId": 222423', '"eventId": 222423.0'),
         pointer => "/$D/eventId");
bad_body('eventId with an exponent', 422,
         card_text('"eventId": 222423', '"eventId": 2.22423e5'),
         pointer => "/$D/eventId");
bad_body('eventTimeEpoch with a fraction', 422,
         card_text('"eventTimeEpoch": 1745235725',
                   '"eventTimeEpoch": 1745235725.5'),
         pointer => "/$D/eventTimeEpoch");
bad_body('eventTimeEpoch in milliseconds', 422,
         card_with("$D/eventTimeEpoch" => 1745235725000),
         pointer => "/$D/eventTimeEpoch", detail => qr/seconds since 1970/);
bad_body('an unknown member beyond int64', 422,
         card_text('"siteId": 11',
                   '"siteId": 11, "accessorId": 123456789012345678901'),
         pointer => "/$D/accessorId", detail => qr/does not fit in 64 bits/);
bad_body('an unknown msgType', 422,
         card_with('messageData/msgType' => 'door_event'),
         pointer => '/messageData/msgType',
         detail => qr/"door_event" is not accepted here/);
bad_body('msgType in another case', 422,
         card_with('messageData/msgType' => 'Access_Event'),
         pointer => '/messageData/msgType');
bad_body('messageVersion 2', 422, card_with(messageVersion => 2),
         pointer => '/messageVersion', detail => qr/must be 1$/);
bad_body('dataVersion 2', 422, card_with('messageData/dataVersion' => 2),
         pointer => '/messageData/dataVersion');
bad_body('data an array', 422, card_with('messageData/data' => [{}]),
         pointer => '/messageData/data', detail => qr/must be an object$/);
bad_body('data null', 422, card_with('messageData/data' => \'null'),
         pointer => '/messageData/data');
bad_body('direction "in"', 422, card_with("$D/direction" => 'in'),
         pointer => "/$D/direction");
bad_body('direction "Entry"', 422, card_with("$D/direction" => 'Entry'),
         pointer => "/$D/direction");
bad_body('accessType empty', 422, card_with("$D/accessType" => ''),
         pointer => "/$D/accessType");
{
    my (undef, undef, $body) = bad_body(
        'a 10 KB msgType is quoted short', 422,
        card_with('messageData/msgType' => "x\r\nSPT0001: " . ('y' x 10240)),
        pointer => '/messageData/msgType');
    unlike $body, qr/y{121}/, 'a 10 KB msgType: at most 120 bytes quoted';
}

# ---- the key: 401 ---------------------------------------------------------

my $good = event_json(eventId => 1);
for my $c (
    ['no x-api-key', []],
    ['an empty key', ['x-api-key' => '']],
    ['a wrong key', ['x-api-key' => 'wrong-key-0123456789abcdef']],
    ['a prefix of the key', ['x-api-key' => substr($KEY, 0, -1)]],
    ['the key plus one byte', ['x-api-key' => "${KEY}0"]],
    ['the key in upper case', ['x-api-key' => uc $KEY]],
    ['the key twice in one header', ['x-api-key' => "$KEY$KEY"]],
    ['two x-api-key headers', ['x-api-key' => $KEY, 'x-api-key' => $KEY]],
    ['an 8000-byte key', ['x-api-key' => $KEY . ('k' x (8000 - length $KEY))]],
    ['the key of another Location',
     ['x-api-key' => 'old-key-0123456789abcdef']],
    ['the key as a bearer token', [Authorization => "Bearer $KEY"]],
    ['the key under x_api_key', [x_api_key => $KEY]],
    ['the key in a cookie', [Cookie => "x-api-key=$KEY"]],
) {
    my ($name, $headers) = @$c;
    my (undef, $hdr) = bad_post($name, 401,
                                { headers => [@$headers, @json],
                                  body => $good });
    is $hdr->{'www-authenticate'}, 'ApiKey header="x-api-key"',
        "$name: WWW-Authenticate";
}
bad(\%main, 'the key in the query string', 401, sub {
    send_raw(\%main, request_text(path => "/file?x-api-key=$KEY",
                                  headers => \@json, body => $good));
});
bad(\%main, 'the key in the query string and a wrong one in the header',
    401, sub {
    send_raw(\%main, request_text(path => "/file?x-api-key=$KEY",
                                  headers => ['x-api-key' => 'wrong', @json],
                                  body => $good));
});

# ---- method and content type: 405, 415 ------------------------------------

for my $m (qw(GET PUT DELETE PATCH OPTIONS post FOO)) {
    my (undef, $hdr) = bad_post("method $m", 405,
                                { method => $m, headers => \@auth,
                                  body => $good });
    is $hdr->{allow}, 'POST', "method $m: Allow: POST";
}
bad_post('method HEAD', 405, { method => 'HEAD', headers => \@auth },
         head => 1);
for my $ct ('text/plain', 'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x', 'text/json',
            'application/jsonp', 'application/json-seq', 'application/xml',
            'application/json, text/plain') {
    bad_post("Content-Type $ct", 415,
             { headers => ['x-api-key' => $KEY, 'Content-Type' => $ct],
               body => $good });
}

# ---- size: 413 ------------------------------------------------------------

my $ten_mb = '{"messageVersion":1,"pad":"' . ('x' x (10 * 1024 * 1024)) . '"}';
bad_body('a 10 MB body', 413, $ten_mb, detail => qr/larger than 65536/);
bad_post('a 10 MB body, chunked', 413,
         { headers => \@auth, body => $ten_mb, chunked => 1 });
{
    my $base = card_with("$D/name" => "", "$D/eventId" => 9_099_998);
    my $at_limit = card_with("$D/name" => 'n' x (65536 - length $base),
                             "$D/eventId" => 9_099_998);
    is length($at_limit), 65536, 'an event of exactly SpintlyMaxBody bytes';
    my ($s) = post(\%main, headers => \@auth, body => $at_limit);
    is $s, 200, 'an event of exactly SpintlyMaxBody bytes is accepted';
    bad_body('one byte over SpintlyMaxBody', 413, " $at_limit");
}
bad_post('a 10 MB body with a wrong key', 401,
         { headers => ['x-api-key' => 'wrong', @json], body => $ten_mb });

# ---- Expect: 100-continue -------------------------------------------------

for my $c (
    ['a wrong key', 401, ['x-api-key' => 'wrong', @json], $good],
    ['a 10 MB Content-Length', 413, \@auth, $ten_mb],
    ['text/plain', 415, ['x-api-key' => $KEY, 'Content-Type' => 'text/plain'],
     $good],
) {
    my ($what, $want, $headers, $body) = @$c;
    my (undef, undef, undef, $continued) = bad(
        \%main, "Expect: 100-continue with $what", $want,
        sub { post_expecting_100(\%main, headers => $headers,
                                 body => $body) });
    ok !$continued, "Expect: 100-continue with $what: refused without "
                    . '100 Continue';
}
{
    my (undef, undef, undef, $continued) = bad(
        \%main, 'Expect: 100-continue, then a bad body', 400,
        sub { post_expecting_100(\%main, headers => \@auth,
                                 body => '{"messageVersion":1') });
    ok $continued, 'Expect: 100-continue with the right key: 100 Continue';
}
{
    my ($s, undef, $body, $continued) = post_expecting_100(
        \%main, headers => \@auth, body => event_json(eventId => 9_099_999));
    ok $continued && $s == 200,
        'Expect: 100-continue with a valid event: 100, then 200'
        or diag "got $s: $body";
}

# ---- what httpd answers before the module ---------------------------------

sub bad_raw {
    my ($name, $want, $text, %opt) = @_;
    return bad(\%main, $name, $want, sub { send_raw(\%main, $text) },
               by => 'httpd', %opt);
}
my $auth_lines = "x-api-key: $KEY\r\nContent-Type: application/json\r\n";
bad_raw('malformed chunk size', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
bad_raw('a chunk longer than it says', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Transfer-Encoding: chunked\r\n\r\n2\r\n{}}}\r\n0\r\n\r\n");
bad_raw('a Content-Length that is not a number', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Content-Length: 2x\r\n\r\n{}");
bad_raw('two Content-Length headers', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
bad_raw('Transfer-Encoding gzip', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Transfer-Encoding: gzip\r\n\r\n{}");
bad_raw('an x-api-key header over LimitRequestFieldSize', 400,
        "POST /file HTTP/1.1\r\nHost: x\r\nx-api-key: $KEY"
        . ('k' x 8192) . "\r\nContent-Length: 2\r\n\r\n{}");
bad_raw('Expect: something else', 417,
        "POST /file HTTP/1.1\r\nHost: x\r\n${auth_lines}"
        . "Expect: a-miracle\r\nContent-Length: 2\r\n\r\n{}");

# ---- cases that need a server of their own --------------------------------

# A short Timeout for a body that never comes, the largest SpintlyMaxBody
# for bodies that only the parser can refuse, and a LimitRequestBody below
# SpintlyMaxBody.
my $own = own_httpd(conf => <<'CONF');
Timeout 2
<Location /own>
    SetHandler spintly
    SpintlyApiKey own-key-0123456789abcdef own
    SpintlyLog "@DIR@/own.jsonl"
    SpintlyMaxBody 16777216
</Location>
<Location /own/limited>
    LimitRequestBody 200
</Location>
CONF
my ($rc, $out) = $own->{start}->();
is $rc, 0, 'own server starts' or diag $out;
push @keys, 'own-key-0123456789abcdef';
my %own = (
    name => 'own server',
    port => $own->{port},
    path => '/own',
    key  => 'own-key-0123456789abcdef',
    file => "$own->{dir}/own.jsonl",
    log  => "$own->{dir}/error.log",
    dests => sub { ("$own->{dir}/own.jsonl") },
);
my @own_auth = ('x-api-key' => $own{key}, @json);
{
    my $t0 = time;
    bad(\%own, 'a Content-Length larger than the body, the client waiting',
        408, sub {
        send_raw(\%own, request_text(path => '/own', headers => \@own_auth,
                                     body => $card,
                                     length => length($card) + 100));
    });
    ok time - $t0 < 15, 'answered after the 2 s Timeout';
}
sub own_body {
    my ($name, $want, $body, %opt) = @_;
    return bad(\%own, $name, $want, sub {
        send_raw(\%own, request_text(path => '/own', headers => \@own_auth,
                                     body => $body, chunked => $opt{chunked}));
    }, %opt);
}
own_body('100k-deep nesting', 400,
         ('{"a":' x 100_000) . '1' . ('}' x 100_000),
         detail => qr/nested deeper than 16 at byte 81\b/);
own_body('100k-deep arrays, chunked', 400,
         ('[' x 100_000) . (']' x 100_000), chunked => 1,
         detail => qr/nested deeper than 16 at byte 17\b/);
own_body('a 10 MB string in an event', 422,
         card_text('"siteId": 11', '"siteId": "' . ('1' x 10_000_000) . '"'),
         pointer => "/$D/siteId");
own_body('10 MB of duplicate keys', 400,
         '{' . join(',', ('"a":1') x 2_000_000) . '}',
         detail => qr/duplicate object key/);
bad(\%own, 'over LimitRequestBody', 413, sub {
    send_raw(\%own, request_text(path => '/own/limited',
                                 headers => \@own_auth, body => $card));
}, by => 'httpd');
bad(\%own, 'over LimitRequestBody, chunked', 413, sub {
    send_raw(\%own, request_text(path => '/own/limited',
                                 headers => \@own_auth, body => $card,
                                 chunked => 1));
}, by => 'httpd');
{
    my $log = do { local $/; open my $fh, '<', $own{log}; <$fh> // '' };
    ok !defined holds_a_key($log), 'own server: no key in its error log';
}
$own->{stop}->();

# ---- over all of it -------------------------------------------------------

{
    open my $fh, '<', $main{log} or die;
    my $all = do { local $/; <$fh> };
    my $leaked = holds_a_key($all);
    ok !defined $leaked, 'no configured key anywhere in the error log'
        or diag "found $leaked";
}
my $total = $answered_by{module} + $answered_by{httpd};
ok $total >= 50, "at least 50 bad requests ($total)";
diag "$total bad requests: $answered_by{module} answered by mod_spintly "
   . "with problem+json, $answered_by{httpd} by httpd itself";

done_testing();
