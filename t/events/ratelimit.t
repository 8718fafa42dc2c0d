# A 429 storm (docs/CONTRACT.md "Delivery" "a 429 or ratelimited pauses that workspace/channel for
# Retry-After"): for 3 s Slack answers every call 429 with Retry-After: 2. The events
# wait and are then delivered, and the module never calls a channel again before the
# Retry-After of its last 429 has elapsed. Then a 429 on one channel only does not
# hold the other channel back. Account acc_rl_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 15, need_lwp;

my $mock = mock();
$mock->reset;
my $ACC = 'acc_rl_1';
connect_account($ACC, categories => {payments => 'C0PAYMENTS', alerts => 'C0ALERTS'});
my $before = counters();

# Honoured: after a 429 (arrival time T, Retry-After R) the next call to that channel
# arrives at T + R or later. Returns the violations as text.
sub early_calls {
    my ($calls) = @_;
    my (%last429, @early);
    for my $c (sort { $a->{time_ms} <=> $b->{time_ms} } @$calls) {
        my $ch = $c->{channel} // '?';
        if (defined $last429{$ch}) {
            my ($t, $ra) = @{ $last429{$ch} };
            my $gap = ($c->{time_ms} - $t) / 1000;
            push @early, sprintf('%s %.3fs after a 429 (Retry-After %s)', $ch, $gap, $ra) if $gap < $ra - 0.02;
        }
        if (($c->{status} // 0) == 429) {
            $last429{$ch} = [$c->{time_ms}, $c->{retry_after} // 2];
        } else {
            delete $last429{$ch};
        }
    }
    return join('; ', @early);
}

# ---------------------------------------------------------------- 3 s storm, Retry-After 2
my $seq = $mock->last_seq;
my $t0 = time;
$mock->mode(mode => 'ratelimit', retry_after => 2, duration_ms => 3000);
my @codes;
for my $i (1 .. 3) {
    push @codes, post_event(event('invoice.paid', account_id => $ACC, marker => "rl-p$i"))->code;
    push @codes, post_event(event('invoice.overdue', account_id => $ACC, marker => "rl-a$i", data => {days_overdue => 9}))->code;
}
ok t_cmp("@codes", '202 202 202 202 202 202', 'events are accepted during the 429 storm');
my $p = wait_messages(channel => 'C0PAYMENTS', count => 3, timeout => 20);
my $al = wait_messages(channel => 'C0ALERTS', count => 3, timeout => 20);
sleep 1;
$p = $mock->messages(channel => 'C0PAYMENTS');
$al = $mock->messages(channel => 'C0ALERTS');
printf "# storm: all delivered %.1f s after it began\n", time - $t0;
ok t_cmp(join(',', @{ markers_of($p) }), 'rl-p1,rl-p2,rl-p3', 'C0PAYMENTS: delivered after the storm, in order, once each');
ok t_cmp(join(',', @{ markers_of($al) }), 'rl-a1,rl-a2,rl-a3', 'C0ALERTS: delivered after the storm, in order, once each');

my $calls = $mock->calls(method => 'chat.postMessage', since => $seq);
my @r429 = grep { ($_->{status} // 0) == 429 } @$calls;
my %ch429 = map { ($_->{channel} // '?') => 1 } @r429;
ok t_cmp(join(',', sort keys %ch429), 'C0ALERTS,C0PAYMENTS', 'both channels met the 429s (' . scalar(@r429) . ' in all)');
ok t_cmp(early_calls($calls), '', 'no chat.postMessage to a channel before the Retry-After (2 s) of its 429 had elapsed');
my $first_ok = (grep { ($_->{status} // 0) == 200 } @$calls)[0];
ok t_cmp(($first_ok->{time_ms} // 0) / 1000 - $t0 >= 2.9 ? 1 : 0, 1, 'nothing was posted while the storm lasted');
ok t_cmp(scalar(@r429) <= 8 ? 1 : 0, 1, 'a paused channel is not hammered (' . scalar(@r429) . ' calls met a 429 in 3 s over 2 channels)');
my $stats = $mock->stats;
ok t_cmp($stats->{http_429}{forced} >= 2 ? 1 : 0, 1, 'the mock counted the forced 429s');
ok t_cmp($stats->{rate_violations}{total}, 0, 'rate_violations 0 (no real rate-limit violation)');

# ---------------------------------------------------------------- one channel limited, the other flows
$seq = $mock->last_seq;
$mock->mode(mode => 'ratelimit', retry_after => 3, channel => 'C0PAYMENTS', count => 1);
my $t1 = time;
post_event(event('invoice.paid', account_id => $ACC, marker => 'rl-p4'));
sleep 0.3;
post_event(event('invoice.overdue', account_id => $ACC, marker => 'rl-a4', data => {days_overdue => 9}));
my $a4 = wait_messages(channel => 'C0ALERTS', count => 4, timeout => 10);
my $p4 = wait_messages(channel => 'C0PAYMENTS', count => 4, timeout => 10);
my ($ma) = grep { (marker_of($_) // '') eq 'rl-a4' } @$a4;
my ($mp) = grep { (marker_of($_) // '') eq 'rl-p4' } @$p4;
ok t_cmp($ma && $mp ? 1 : 0, 1, 'both messages delivered');
ok t_cmp($ma && $mp && $ma->{posted_ms} < $mp->{posted_ms} ? 1 : 0, 1,
         'C0ALERTS did not wait for C0PAYMENTS\' Retry-After');
ok t_cmp($mp ? ($mp->{posted_ms} / 1000 - $t1 >= 2.9 ? 1 : 0) : 0, 1,
         sprintf('C0PAYMENTS waited its Retry-After of 3 s (posted %.1f s after the event)', $mp ? $mp->{posted_ms} / 1000 - $t1 : -1));
$calls = $mock->calls(method => 'chat.postMessage', since => $seq);
ok t_cmp(early_calls([map { $_->{status} == 429 ? {%$_, retry_after => 3} : $_ } grep { defined $_->{status} } @$calls]), '',
         'no call to C0PAYMENTS before its 3 s Retry-After elapsed');
$stats = $mock->stats;
ok t_cmp($stats->{rate_violations}{total}, 0, 'still no rate-limit violation');
my $after = counters();
ok t_cmp(($after->{delivered} // 0) - ($before->{delivered} // 0), 8, 'status: 8 delivered');
