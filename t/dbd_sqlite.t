# SQLite through mod_dbd with the shipped schema and statement: typed
# columns, NULLs, one row per event, and a database held locked.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use JSON::PP;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json sample_json post_raw line_count logs_dir
                   is_problem error_log_size error_log_since);

my $port = Apache::Test::vars('port');
my $db   = "$FindBin::Bin/db/events.sqlite";
my $file = logs_dir() . '/spintly-sqlite.jsonl';

sub post {
    my ($body) = @_;
    return post_raw(port => $port, path => '/sqlite', body => $body,
                    headers => ['x-api-key' => 'sqlite-key-0123456789abcdef',
                                'Content-Type' => 'application/json']);
}

sub sql {
    my ($q) = @_;
    my $out = `sqlite3 -separator '|' '$db' "$q"`;
    chomp $out;
    return $out;
}

# Insert: one row, typed columns, the whole message.
{
    my ($s, undef, $body) = post(sample_json('card_event.json'));
    is $s, 200, 'card event stored';
    is decode_json($body)->{duplicate}, undef, 'not a duplicate';
    is sql("select count(*) from spintly_events where event_id = 222423"),
       1, 'one row';
    is sql("select typeof(org_id), typeof(event_id), typeof(site_id),"
           . " typeof(org_user_id), typeof(access_point_id)"
           . " from spintly_events where event_id = 222423"),
       'integer|integer|integer|integer|integer', 'ids are integers';
    is sql("select org_id, site_id, direction, access_type,"
           . " access_point_name, employee_code, name, event_time, key_name,"
           . " client_ip from spintly_events where event_id = 222423"),
       '223|11|entry|card|Entrance Door|A123|john dor|2025-04-21T11:42:05Z'
       . '|sqlite|127.0.0.1', 'typed columns hold the event';
    is sql("select typeof(mobile_access_mode) from spintly_events"
           . " where event_id = 222423"), 'null', 'JSON null is SQL NULL';
    like sql("select received_at from spintly_events where event_id = 222423"),
         qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'received_at';
    is_deeply decode_json(sql("select message from spintly_events"
                              . " where event_id = 222423")),
              decode_json(sample_json('card_event.json')),
              'message column holds the whole message';
    is sql("select json_extract(message, '\$.messageData.data.name')"
           . " from spintly_events where event_id = 222423"), 'john dor',
       'queryable as JSON';
}

# Leading spaces, absent optional fields.
{
    my ($s) = post(sample_json('mobile_event.json'));
    is $s, 200, 'mobile event stored';
    is sql("select '[' || employee_code || ']', mobile_access_mode"
           . " from spintly_events where event_id = 226907180"),
       '[ 12334]|click_to_access/tap_to_access', 'kept as sent';
    my $ev = decode_json(event_json(eventId => 33001));
    delete $ev->{messageData}{data}{$_} for qw(name employeeCode);
    ($s) = post(encode_json($ev));
    is $s, 200, 'event without optional fields stored';
    is sql("select typeof(name), typeof(employee_code) from spintly_events"
           . " where event_id = 33001"), 'null|null', 'absent is NULL';
}

# Redelivery: 200 again, says so, still one row.
{
    my $lines = line_count($file);
    my ($s, undef, $body) = post(sample_json('card_event.json'));
    is $s, 200, 'redelivered event answered 200';
    is decode_json($body)->{duplicate}, JSON::PP::true, 'marked duplicate';
    is sql("select count(*) from spintly_events where event_id = 222423"),
       1, 'still one row';
    is line_count($file), $lines + 1, 'the file beside it got the line';
    # same eventId in another org is another event
    ($s, undef, $body) = post(event_json(eventId => 222423, orgId => 224));
    is $s, 200, 'same eventId, other org';
    is decode_json($body)->{duplicate}, undef, 'not a duplicate';
}

# A transaction of another process holds the write lock.
sub lock_for {
    my ($seconds) = @_;
    my $pid = fork // die;
    if (!$pid) {
        open my $sq, '|-', 'sqlite3', $db or die;
        print $sq "BEGIN IMMEDIATE;\n"
                . "INSERT INTO spintly_events (org_id, event_id, request_id,"
                . " event_time, direction, access_type, received_at,"
                . " key_name, message) VALUES (1, 1, 'lock', 'x', 'entry',"
                . " 'card', 'x', 'lock', '{}');\n"
                . ".shell sleep $seconds\nROLLBACK;\n";
        close $sq;
        exit 0;
    }
    sleep 0.5;    # let it take the lock
    return $pid;
}

{
    my $pid = lock_for(2);
    my $t0 = time;
    my ($s) = post(event_json(eventId => 34001));
    my $waited = time - $t0;
    waitpid $pid, 0;
    is $s, 200, 'locked 2 s: the request waits and is stored';
    ok $waited > 1, sprintf('it waited (%.1f s)', $waited);
    is sql("select count(*) from spintly_events where event_id = 34001"),
       1, 'the row is there';
}
{
    my $log_at = error_log_size();
    my $pid = lock_for(9);
    my $t0 = time;
    my ($s, $hdr, $body) = post(event_json(eventId => 34002));
    my $waited = time - $t0;
    ok is_problem($s, $hdr, $body, 503), 'locked 9 s: 503'
        or diag "$s $body";
    like $hdr->{'retry-after'} // '', qr/^\d+$/, 'with Retry-After';
    ok $waited < 8, sprintf('answered before the lock ends (%.1f s)', $waited);
    like error_log_since($log_at), qr/SPT0203: 503: cannot store event 34002/,
         'tagged error-log line';
    waitpid $pid, 0;
    is sql("select count(*) from spintly_events where event_id = 34002"),
       0, 'no row for the 503';
    ($s) = post(event_json(eventId => 34002));
    is $s, 200, 'the retry once the lock is gone: 200';
    is sql("select count(*) from spintly_events where event_id = 34002"),
       1, 'stored';
}

done_testing();
