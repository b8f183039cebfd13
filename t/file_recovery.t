# A process killed in the middle of a write can leave a partial line at the
# end of a file destination: the next start ends it, so the first record
# after it is a line of its own, not glued to the fragment.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw read_records own_httpd);

my $KEY = 'file-key-0123456789abcdef';
my $h = own_httpd(conf => <<"C");
<Location /spintly>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyLog \@DIR\@/events.jsonl
</Location>
C
my $file = "$h->{dir}/events.jsonl";
open my $fh, '>', $file or die $!;
print $fh qq({"receivedAt":"2026-12-04T00:00:00.000000Z","message":{"mess);
close $fh;

my ($rc, $out) = $h->{start}->();
is $rc, 0, 'httpd started' or diag $out;
my ($s) = post_raw(port => $h->{port}, path => '/spintly',
                   headers => ['x-api-key' => $KEY,
                               'Content-Type' => 'application/json'],
                   body => event_json(eventId => 95001));
is $s, 200, 'event accepted';
$h->{stop}->();

my @lines = read_records($file);
is scalar(@lines), 2, 'the fragment and the record, on two lines';
like $lines[0], qr/"mess\n\z/, 'the fragment ended where it was cut';
my $r = eval { decode_json($lines[1]) };
is $r && $r->{message}{messageData}{data}{eventId}, 95001,
   'the record after it is whole';
done_testing();
