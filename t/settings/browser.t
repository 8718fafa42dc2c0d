# The settings page in a real browser (issue #14): runs the node files of
# t/browser/ (Debian's Chromium through playwright-core, axe-core) against this
# server and the mock Slack, and reports each of their steps as a test of this
# file, with their diagnostics.  Screenshots go to $NXS_BROWSER_OUT
# (build/run-apache-tests points it at build/out/browser/ of the checkout).
# Node, Chromium or the npm packages missing is a failure, not a skip: CI
# installs them (build/packages.txt; t/browser/npm-install.sh).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);

# The harness first: the flows' passes mean something only if it works.
my @FILES = qw(harness_check.mjs settings_flow.mjs settings_edge.mjs);
# Each file stops itself at its deadline; the alarm is for a node that hangs anyway.
my %DEADLINE = (harness_check => 20, settings_flow => 40, settings_edge => 60);

my $dir = abs_path(dirname(__FILE__) . '/../browser');
my $chromium = $ENV{NXS_CHROMIUM} // '/usr/bin/chromium';
my $out = $ENV{NXS_BROWSER_OUT} // abs_path(dirname(__FILE__) . '/../..') . '/build/out/browser';

my @missing;
push @missing, 'node is not on PATH (Debian package nodejs)' if system('node --version >/dev/null 2>&1') != 0;
push @missing, "$chromium is missing (Debian package chromium)" unless -x $chromium;
for my $pkg (qw(playwright-core axe-core)) {
    push @missing, "$dir/node_modules/$pkg is missing (t/browser/npm-install.sh)" unless -d "$dir/node_modules/$pkg";
}
if (@missing) {
    ok(0, "installed: $_") for @missing;
    done_testing();
    exit;
}

make_path($out);
unlink glob("$out/*.png");
$ENV{NXS_BROWSER_OUT} = $out;
$ENV{NXS_BASE_URL} = 'http://' . Apache::TestRequest::hostport();
$ENV{NXS_MOCK_CONTROL_URL} //= "http://127.0.0.1:$ENV{NXS_MOCK_CONTROL_PORT}";

for my $file (@FILES) {
    (my $name = $file) =~ s/\.mjs$//;
    local $ENV{NXS_BROWSER_DEADLINE_S} = $DEADLINE{$name};
    my ($plan, $points, $last_ok) = (undef, 0, 1);
    my @failed_diag;
    my $pid = open(my $tap, '-|', 'node', "$dir/$file") // die "cannot run node $dir/$file: $!";
    my $timed_out = 0;
    local $SIG{ALRM} = sub { $timed_out = 1; kill 'TERM', $pid };
    alarm($DEADLINE{$name} + 15);
    while (my $line = <$tap>) {
        chomp $line;
        if ($line =~ /^(not )?ok \d+ - (.*)$/) {
            flush_point(\@failed_diag);
            $points++;
            $last_ok = !$1;
            ok($last_ok, "$name: $2");
        } elsif ($line =~ /^#   (.*)$/) {
            push @failed_diag, $1;
        } elsif ($line =~ /^# (.*)$/) {
            note("$name: $1");
        } elsif ($line =~ /^1\.\.(\d+)$/) {
            $plan = $1;
        } else {
            note("$name: $line");
        }
    }
    flush_point(\@failed_diag);
    close $tap;
    my $status = $?;
    alarm(0);
    # A crash, a syntax error or the alarm leave no plan or a short one.
    ok(!$timed_out && defined $plan && $plan == $points && ($status == 0 || ($status >> 8) == 1),
       "$name: ran to the end")
        or diag("timed out: $timed_out, plan: " . ($plan // 'none') . ", points: $points, exit status: $status");
}
done_testing();

# Diagnostics of the point just reported (the harness prints them after it).
sub flush_point {
    my ($lines) = @_;
    diag("  $_") for @$lines;
    @$lines = ();
}
