# The receiver's URL is not a file: mod_spintly names no file for it, so
# httpd does not walk the file system on each request, and <Directory>
# sections (and .htaccess files) do not apply to it; its <Location> does.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(event_json post_raw line_count logs_dir);

plan tests => 8;

my $port = Apache::Test::vars('port');
my $key  = 'nofile-key-0123456789abcdef';
my $file = logs_dir() . '/spintly-nofile.jsonl';
my @hdr  = ('x-api-key' => $key, 'Content-Type' => 'application/json');

# The control: the <Directory> is in force for what httpd maps to files.
my ($status) = post_raw(port => $port, path => '/nofile-static/README',
                        method => 'GET');
is $status, 403, 'a file under the <Directory> is refused by it';

my $before = line_count($file);
my ($st, $h, $body) = post_raw(port => $port, path => '/nofile',
                               headers => \@hdr,
                               body => event_json(eventId => 910001));
is $st, 200, 'the receiver answers 200 though that <Directory> refuses all'
    or diag $body;
like $body, qr/"eventId":910001/, 'and names the event';
is line_count($file), $before + 1, 'the event is written';

($st, $h, $body) = post_raw(port => $port, path => '/nofile/deeper',
                            headers => \@hdr,
                            body => event_json(eventId => 910002));
is $st, 200, 'a path below the receiver too' or diag $body;

# An Alias comes first: the path is a file again, the <Directory> applies.
($st) = post_raw(port => $port, path => '/nofile/aliased', headers => \@hdr,
                 body => event_json(eventId => 910004));
is $st, 403, 'under an Alias the <Directory> applies';

# Access rules in the <Location> still apply, before the key is looked at.
$before = line_count($file);
($st) = post_raw(port => $port, path => '/nofile-denied', headers => \@hdr,
                 body => event_json(eventId => 910003));
is $st, 403, 'Require in the <Location> refuses';
is line_count($file), $before, 'nothing written';
