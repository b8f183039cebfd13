# apachectl configtest refuses a wrong configuration, naming the directive,
# and never prints a key.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyTest qw(own_httpd);

my $KEY = 'secret-key-0123456789abcdef';

sub configtest {
    my ($conf) = @_;
    my $h = own_httpd(conf => $conf);
    my ($rc, $out) = $h->{configtest}->();
    return ($rc, $out, $h);
}

sub refused {
    my ($name, $conf, $re) = @_;
    my ($rc, $out) = configtest($conf);
    isnt $rc, 0, "$name: configtest fails";
    like $out, $re, "$name: the message names the problem" or diag $out;
    unlike $out, qr/\Q$KEY\E/, "$name: the key is not printed";
}

my $ok = <<"C";
<Location /spintly>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyLog \@DIR\@/events.jsonl
</Location>
C
{
    my ($rc, $out) = configtest($ok);
    is $rc, 0, 'a complete configuration passes' or diag $out;
}

refused('short key', <<"C", qr/SpintlyApiKey: key is too short/);
<Location /s>
    SetHandler spintly
    SpintlyApiKey short-key
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
refused('key with a bad name', <<"C", qr/SpintlyApiKey: key name/);
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY "bad name!"
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
refused('same key twice', <<"C", qr/SpintlyApiKey: the same key is configured twice/);
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY one
    SpintlyApiKey $KEY two
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
refused('missing key file', <<"C", qr/SpintlyApiKeyFile: cannot read \S*nonexistent/);
<Location /s>
    SetHandler spintly
    SpintlyApiKeyFile \@DIR\@/nonexistent
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
refused('SpintlyMaxBody not a number', <<"C", qr/SpintlyMaxBody: "lots" is not a number/);
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyLog \@DIR\@/e.jsonl
    SpintlyMaxBody lots
</Location>
C
refused('SpintlyMaxBody zero', <<"C", qr/SpintlyMaxBody: "0" is not a number/);
<Location /s>
    SpintlyMaxBody 0
</Location>
C
refused('SpintlyWriteTimeout not a number', <<"C", qr/SpintlyWriteTimeout: "soon" is not a number of seconds/);
<Location /s>
    SpintlyWriteTimeout soon
</Location>
C
refused('SpintlyWriteTimeout too long', <<"C", qr/SpintlyWriteTimeout: "3600" is not a number of seconds from 0.1 to 300/);
<Location /s>
    SpintlyWriteTimeout 3600
</Location>
C
refused('SpintlySync not a flag', <<"C", qr/SpintlySync must be On or Off/);
<Location /s>
    SpintlySync sometimes
</Location>
C
refused('empty pipe', <<"C", qr/SpintlyLog: a pipe needs a program/);
<Location /s>
    SpintlyLog "|"
</Location>
C
refused('handler without a key', <<"C", qr/<Location \/nokey> \(\S+:\d+\) sets "SetHandler spintly" but no SpintlyApiKey or SpintlyApiKeyFile/);
<Location /nokey>
    SetHandler spintly
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
refused('handler without a destination', <<"C", qr/<Location \/nolog> .* but no SpintlyLog or SpintlyDBDInsert applies/);
<Location /nolog>
    SetHandler spintly
    SpintlyApiKey $KEY
</Location>
C

# SpintlyDBDInsert: needs mod_dbd; every placeholder must name something.
refused('SpintlyDBDInsert without mod_dbd', <<"C", qr/SpintlyDBDInsert: mod_dbd is not loaded/);
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyDBDInsert "INSERT INTO t (a) VALUES (:eventId)"
</Location>
C
refused('unknown placeholder', <<"C", qr/SpintlyDBDInsert: unknown placeholder :eventID/);
LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
DBDriver sqlite3
DBDParams \@DIR\@/db.sqlite
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyDBDInsert "INSERT INTO t (a, b) VALUES (:eventId, :eventID)"
</Location>
C
{
    my ($rc, $out) = configtest(<<"C");
LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
DBDriver sqlite3
DBDParams \@DIR\@/db.sqlite
<Location /s>
    SetHandler spintly
    SpintlyApiKey $KEY
    SpintlyDBDInsert "INSERT INTO t (a, b) VALUES (:eventId, ':x' || CAST(:name AS text))"
</Location>
C
    is $rc, 0, 'a database destination alone is enough; quoted text and '
             . 'casts are not placeholders' or diag $out;
}

# Settings inherited from the server or an enclosing Location count.
{
    my ($rc, $out) = configtest(<<"C");
SpintlyApiKey $KEY
<Location /outer>
    SpintlyLog \@DIR\@/e.jsonl
</Location>
<Location /outer/inner>
    SetHandler spintly
</Location>
C
    is $rc, 0, 'key from the server, destination from an outer Location'
        or diag $out;
}

# The key file: bad line named with its line number; readable by others
# gives a warning, not a failure.
{
    my $h = own_httpd(conf => '');
    my $kf = "$h->{dir}/keys";
    open my $fh, '>', $kf or die $!;
    print $fh "# comment\n\n$KEY good\nshort bad\n";
    close $fh;
    chmod 0600, $kf;
    my ($rc, $out) = configtest(<<"C");
<Location /s>
    SetHandler spintly
    SpintlyApiKeyFile $kf
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
    isnt $rc, 0, 'key file with a bad line fails';
    like $out, qr/SpintlyApiKeyFile: \Q$kf\E line 4: key is too short/,
        'names the file and the line';
    unlike $out, qr/\Q$KEY\E/, 'no key printed';

    open $fh, '>', $kf or die $!;
    print $fh "$KEY good\n";
    close $fh;
    chmod 0644, $kf;
    ($rc, $out) = configtest(<<"C");
<Location /s>
    SetHandler spintly
    SpintlyApiKeyFile $kf
    SpintlyLog \@DIR\@/e.jsonl
</Location>
C
    is $rc, 0, 'a key file readable by others still loads';
    like $out, qr/SPT0002: SpintlyApiKeyFile \Q$kf\E is readable by other/,
        'but draws a warning';
}

done_testing();
