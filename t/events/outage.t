# A Slack outage (docs/CONTRACT.md "Delivery"): connections refused for 5 s (longer than the 2 s maximum
# backoff of the suite), then 503s for 2.5 s (the 2 s maximum backoff plus a margin, so
# that each channel is tried at least once in it), then Slack is back. Events keep being
# accepted; afterwards every message is delivered, in order per channel, once, within
# the rate limits, and the status counts the retries. Account acc_out_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 17, need_lwp;

my $mock = mock();
$mock->reset;
my $ACC = 'acc_out_1';
connect_account($ACC, categories => {payments => 'C0PAYMENTS', alerts => 'C0ALERTS'});
my $before = counters();

my $t_outage = time;
$mock->mode(mode => 'outage');
ok t_cmp($mock->health->{api_listening} ? 1 : 0, 0, 'outage: the mock refuses connections');

my (@codes, @pay, @alr);
for my $i (1 .. 3) {
    my $res = post_event(event('invoice.paid', account_id => $ACC, marker => "out-p$i"));
    push @codes, $res->code;
    push @pay, "out-p$i";
    $res = post_event(event('invoice.overdue', account_id => $ACC, marker => "out-a$i", data => {days_overdue => 10 + $i}));
    push @codes, $res->code;
    push @alr, "out-a$i";
    sleep 0.3;
}
ok t_cmp("@codes", '202 202 202 202 202 202', 'during the outage every event is still accepted (202)');
my $mid = counters();
ok t_cmp($mid->{queue_depth}, qr/^[1-9]/, 'status: messages are waiting in the queue during the outage');
ok t_cmp(($mid->{oldest_age_seconds} // 0) > 0 ? 1 : 0, 1, 'status: the oldest waiting message has an age');

sleep 5 - (time - $t_outage) if time - $t_outage < 5;
my $seq_503 = $mock->last_seq;
my $t_unavail = time;
$mock->mode(mode => 'unavailable');
printf "# outage lasted %.1f s\n", $t_unavail - $t_outage;
sleep 2.5;
my $t_normal = time;
$mock->normal;

my $p = wait_messages(channel => 'C0PAYMENTS', count => 3, timeout => 15);
my $al = wait_messages(channel => 'C0ALERTS', count => 3, timeout => 15);
sleep 1.5;
$p = $mock->messages(channel => 'C0PAYMENTS');
$al = $mock->messages(channel => 'C0ALERTS');
ok t_cmp(join(',', @{ markers_of($p) }), join(',', @pay), 'C0PAYMENTS: all 3 delivered after the outage, in order, once each');
ok t_cmp(join(',', @{ markers_of($al) }), join(',', @alr), 'C0ALERTS: all 3 delivered after the outage, in order, once each');

my $first_ok = (sort { $a <=> $b } map { $_->{posted_ms} } @$p, @$al)[0] // 0;
my $wait_after = $first_ok / 1000 - $t_normal;
ok t_cmp($wait_after <= 4 ? 1 : 0, 1,
         sprintf('delivery resumes within the maximum backoff after Slack is back (%.2f s; max backoff 2 s)', $wait_after));

# What Slack saw during the 503 phase: retries, spaced by the backoff (never more than its 2 s maximum).
my $calls = $mock->calls(method => 'chat.postMessage', since => $seq_503);
my @c503 = grep { ($_->{status} // 0) == 503 } @$calls;
ok t_cmp(scalar(@c503) >= 2 ? 1 : 0, 1, 'during the 503 phase the module kept retrying (' . scalar(@c503) . ' tries answered 503)');
my %per;
push @{ $per{ $_->{channel} // '?' } }, $_->{time_ms} for @c503;
ok t_cmp(join(',', sort keys %per), 'C0ALERTS,C0PAYMENTS', 'both channels were retried');
my $max_gap = 0;
my $min_gap = 1e9;
for my $ch (keys %per) {
    my @t = @{ $per{$ch} };
    for (1 .. $#t) {
        my $g = ($t[$_] - $t[$_ - 1]) / 1000;
        $max_gap = $g if $g > $max_gap;
        $min_gap = $g if $g < $min_gap;
    }
}
ok t_cmp($max_gap <= 2.5 ? 1 : 0, 1, sprintf('retries of a channel are at most the 2 s maximum backoff apart (largest gap %.2f s)', $max_gap));
ok t_cmp($min_gap >= 0.04 ? 1 : 0, 1, sprintf('and never a hot loop (smallest gap %.3f s; minimum backoff 100 ms)', $min_gap == 1e9 ? 0 : $min_gap));
my %heads = map { ($_->{channel} // '?') . ' ' . (marker_of($_->{body} // {}) // '?') => 1 } @c503;
ok t_cmp(join(',', sort keys %heads), 'C0ALERTS out-a1,C0PAYMENTS out-p1',
         'only the head of each channel was tried while Slack failed (one in flight per channel, FIFO)');

my $stats = $mock->stats;
ok t_cmp($stats->{rate_violations}{total}, 0, 'no rate-limit violation on recovery');
ok t_cmp(scalar(grep { $_->{response} && ref $_->{response} eq 'HASH' && $_->{response}{ok} } @{ $mock->calls(method => 'chat.postMessage') }), 6,
         'exactly 6 successful chat.postMessage calls');
my $after = counters();
ok t_cmp(($after->{retried} // 0) - ($before->{retried} // 0) > 0 ? 1 : 0, 1,
         'status: retried grew (' . (($after->{retried} // 0) - ($before->{retried} // 0)) . ')');
ok t_cmp(($after->{delivered} // 0) - ($before->{delivered} // 0), 6, 'status: delivered grew by 6');
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight dead_lettered)),
         join(',', 0, 0, $before->{dead_lettered} // 0), 'status: queue empty, nothing dead-lettered');
