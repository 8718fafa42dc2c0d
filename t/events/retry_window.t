# The retry window (docs/CONTRACT.md "Delivery", NexteSlackRetryWindow 20s in the suite): Slack answers
# 5xx for longer than the window, so the messages are dead-lettered: counted, logged,
# and never posted after Slack recovers. Account acc_rw_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use File::Spec;
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 12, need_lwp;

my $mock = mock();
$mock->reset;
my $ACC = 'acc_rw_1';
connect_account($ACC, categories => {payments => 'C0PAYMENTS'});
my $before = counters();
my $WINDOW = 20;

my $seq = $mock->last_seq;
$mock->mode(mode => 'error5xx', method => 'chat.postMessage');
my $t0 = time;
my @codes = (post_event(event('invoice.paid', account_id => $ACC, marker => 'rw-1'))->code);
my $t_acc1 = time;    # rw-1 was accepted (its retry window began) between $t0 and $t_acc1
push @codes, post_event(event('invoice.paid', account_id => $ACC, marker => 'rw-2'))->code;
ok t_cmp("@codes", '202 202', 'two events accepted while Slack answers 5xx');

my $dead = wait_until($WINDOW + 6, sub {
    my $c = counters();
    (($c->{dead_lettered} // 0) - ($before->{dead_lettered} // 0)) >= 2 ? $c : undef;
}, 0.25);
my $t_dead = time - $t0;
$mock->normal;
my $seq_after = $mock->last_seq;
printf "# dead-lettered %.1f s after acceptance\n", $t_dead;
ok t_cmp($dead ? 1 : 0, 1, 'status: dead_lettered grew by 2');
ok t_cmp($t_dead >= $WINDOW - 1 ? 1 : 0, 1, sprintf('not before the %d s retry window ended (%.1f s)', $WINDOW, $t_dead));

my $calls = $mock->calls(method => 'chat.postMessage', since => $seq);
my @tries = grep { defined $_->{status} } @$calls;
ok t_cmp(scalar(grep { $_->{status} < 500 } @tries), 0, 'every try was answered 5xx');
ok t_cmp(scalar(@tries) >= 8 ? 1 : 0, 1, 'the head message was retried through the window (' . scalar(@tries) . ' tries, backoff at most 2 s)');
my $last = @tries ? $tries[-1]{time_ms} / 1000 - $t0 : 0;
ok t_cmp($last >= $WINDOW - 2.5 && $last <= $WINDOW + 1 ? 1 : 0, 1,
         sprintf('a last try near the end of the window (%.1f s after acceptance)', $last));
printf "#   try %.2f s %s %s\n", $_->{time_ms} / 1000 - $t0, marker_of($_->{body} // {}) // "?", $_->{status} for @tries;
my @t1 = map { $_->{time_ms} / 1000 } grep { (marker_of($_->{body} // {}) // '') eq 'rw-1' } @tries;
my @t2 = map { $_->{time_ms} / 1000 } grep { (marker_of($_->{body} // {}) // '') eq 'rw-2' } @tries;
ok t_cmp(!@t2 || !@t1 || $t2[0] > $t1[-1] ? 1 : 0, 1, 'rw-2 was not tried while rw-1 was still at the head (FIFO)');
# ARCHITECTURE "Delivery": backoff "with a last try exactly at the end of NexteSlackRetryWindow,
# then dead-letter". rw-1's window ends between $t0 + 20 and $t_acc1 + 20.
my ($final) = grep { $_ >= $t0 + $WINDOW - 0.1 && $_ <= $t_acc1 + $WINDOW + 0.3 } @t1;
ok t_cmp(defined $final ? 1 : 0, 1,
         sprintf('the head message gets a last try at the end of its retry window (its last try: %.2f s after acceptance)',
                 @t1 ? $t1[-1] - $t0 : -1));

sleep 2.3;
ok t_cmp(scalar @{ $mock->messages(channel => 'C0PAYMENTS') }, 0, 'after Slack recovers, nothing dead-lettered is posted');
ok t_cmp(scalar @{ $mock->calls(method => 'chat.postMessage', since => $seq_after) }, 0, 'and nothing is tried any more');
my $after = counters();
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: the queue is empty');
my $prom = prometheus();
my ($pd) = $prom =~ /^nexte_slack_dead_lettered_total (\S+)$/m;
ok t_cmp($pd // 'absent', $after->{dead_lettered}, 'Prometheus: nexte_slack_dead_lettered_total');
