# The fault tests of t/fault/run.pl in their short form: 32 clients, a few
# seconds of load around each fault, write timeout 2 s.  Each fault passes
# when every event answered 2xx is in the destination and every request
# got 2xx or 503 within the client's timeout.  The long form (20 s a
# fault, the default write timeout) is t/fault/run.pl --long.
# SPINTLY_FAULTS="1 4" runs some of them only.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/lib";
use SpintlyFault qw(run_faults format_table);

my @only = split ' ', $ENV{SPINTLY_FAULTS} // '';
my $t0 = time;
my @rows = run_faults(@only ? (only => \@only) : ());
for my $r (@rows) {
    if ($r->{skip}) {
        SKIP: { skip "$r->{fault}: $r->{skip}", 1 }
        next;
    }
    ok $r->{pass}, $r->{fault}
        or diag "$r->{fault}: " . join('; ', @{ $r->{failures} });
}
diag "\n" . format_table(@rows)
   . sprintf('short form: %.0f s', time - $t0);
done_testing();
