#!/usr/bin/perl
# Fault tests for mod_spintly (issue 5), by hand:
#
#   t/fault/run.pl [--long] [--seconds N] [--clients N]
#                  [--write-timeout N] [FAULT ...]
#
# FAULT is a number from 1 to 6 (default: all):
#   1 the pipe consumer (conf/spintly-consumer-sqlite) SIGKILLed after each
#     second of work
#   2 the pipe consumer (cat) stopped with SIGSTOP past the write timeout
#   3 apachectl -k graceful every 2 s, with a cat consumer
#   4 every httpd process SIGKILLed, then started again (file, both
#     SpintlySync modes)
#   5 PostgreSQL stopped for 5 s, then started again (build/pg.sh)
#   6 the file destination's file system full (a tmpfs; root only)
#
# Each runs 32 clients posting unique eventIds on persistent connections,
# injects its fault, then compares the eventIds answered 2xx with those in
# the destination.  --long: 20 s of load per fault and the default write
# timeout (5 s); otherwise a few seconds and SpintlyWriteTimeout 2, as
# t/fault.t does inside make test.  Prints the table; exits 1 when a fault
# fails.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use SpintlyFault qw(run_faults format_table);

my %o;
GetOptions('long' => \$o{long}, 'seconds=f' => \$o{seconds},
           'clients=i' => \$o{clients},
           'write-timeout=i' => \$o{write_timeout})
    or die "usage: $0 [--long] [--seconds N] [--clients N] "
         . "[--write-timeout N] [1-6 ...]\n";
$o{only} = [@ARGV] if @ARGV;
die "faults are numbered 1 to 6\n" if grep { !/^[1-6]$/ } @ARGV;

my $so = "$FindBin::Bin/../../mod_spintly/.libs/mod_spintly.so";
die "$so is missing: run make first\n" unless -e $so;

$| = 1;
my @rows = run_faults(%o, progress => sub {
    my ($r) = @_;
    printf "%-28s %s (%.0f s)\n", $r->{fault},
           $r->{skip} ? "skipped" : $r->{pass} ? 'pass' : 'FAIL',
           $r->{elapsed} // 0;
});
print "\n", format_table(@rows);
my $failed = grep { !$_->{skip} && !$_->{pass} } @rows;
my $passed = grep { !$_->{skip} && $_->{pass} } @rows;
my $skipped = grep { $_->{skip} } @rows;
print "faults: $passed passed, $failed failed"
    . ($skipped ? ", $skipped skipped" : '') . "\n";
exit($failed ? 1 : 0);
