# A hanging and a slow Slack (docs/CONTRACT.md "Reliability and security tests" "slow and hanging Slack"; §9 "one account's
# broken workspace or a slow channel never delays other accounts"): while chat.postMessage
# hangs for some channels, other accounts' messages still go out at once; when the hang
# ends, the held-up messages are delivered once each. Accounts acc_hg_1 (its channels
# hang; as many channels as NexteSlackWorkers, 4) and acc_hg_2 (healthy).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 8, need_lwp;

my $mock = mock();
$mock->reset;
my ($H, $G) = ('acc_hg_1', 'acc_hg_2');
my @hung = map { sprintf 'C0FILL%03d', 50 + $_ } 1 .. 4;
my %hmap;
@hmap{qw(payments quotes contacts alerts)} = @hung;
connect_account($H, categories => \%hmap);
connect_account($G, categories => {payments => 'C0FILL060', quotes => 'C0FILL061'});

# ---------------------------------------------------------------- 4 channels hang
$mock->mode(mode => 'hang', method => 'chat.postMessage', channel => $_) for @hung;
post_event(event('invoice.paid', account_id => $H, marker => 'hg-1'));
post_event(event('quote.sent', account_id => $H, marker => 'hg-2'));
post_event(event('lead.received', account_id => $H, marker => 'hg-3'));
post_event(event('invoice.overdue', account_id => $H, marker => 'hg-4', data => {days_overdue => 9}));
# The daemon lets one account use at most half the workers (2 of 4), so two posts hang
# and the other two wait in the queue instead of taking the last workers.
my $pending = wait_until(5, sub { my $n = grep { ($_->{state} // '') eq 'pending' } @{ $mock->calls(method => 'chat.postMessage') }; $n >= 2 ? $n : 0 });
sleep 0.5;
$pending = grep { ($_->{state} // '') eq 'pending' } @{ $mock->calls(method => 'chat.postMessage') };
ok t_cmp($pending, 2, 'the hung account holds at most half the workers: 2 posts hang at Slack');

my $t0 = time;
post_event(event('invoice.paid', account_id => $G, marker => 'ok-1'));
post_event(event('quote.sent', account_id => $G, marker => 'ok-2'));
# Waiting no longer than 4 s keeps this file short whatever happens: releasing the hang
# (below) frees whatever the hung posts hold.
my $during = wait_until(4, sub {
    @{ $mock->messages(channel => 'C0FILL060') } + @{ $mock->messages(channel => 'C0FILL061') } >= 2 ? time - $t0 : 0 });
ok t_cmp($during ? 1 : 0, 1, sprintf('while 4 channels hang, the other account\'s 2 messages are delivered within 3 s (%s)',
                                     $during ? sprintf('%.1f s', $during) : 'not within 4 s; hung posts time out after 15 s'));

# ---------------------------------------------------------------- the hang ends
$mock->normal;    # hung calls are released and answered normally
my %got;
for my $ch (@hung, 'C0FILL060', 'C0FILL061') {
    wait_messages(channel => $ch, count => 1, timeout => 20);
}
sleep 1;
$got{$_} = scalar @{ $mock->messages(channel => $_) } for @hung, 'C0FILL060', 'C0FILL061';
ok t_cmp(join(',', map { $got{$_} } @hung), '1,1,1,1', 'after the hang, each held-up message is delivered exactly once');
ok t_cmp(join(',', map { $got{$_} } 'C0FILL060', 'C0FILL061'), '1,1', 'the other account\'s messages are delivered once each');

# ---------------------------------------------------------------- a slow channel (3 s per answer)
$mock->mode(mode => 'slow', delay_ms => 3000, method => 'chat.postMessage', channel => $hung[0]);
post_event(event('invoice.paid', account_id => $H, marker => 'sl-1'));
sleep 0.3;
$t0 = time;
post_event(event('invoice.paid', account_id => $G, marker => 'ok-3'));
my $g3 = wait_messages(channel => 'C0FILL060', count => 2, timeout => 10);
my $took = time - $t0;
ok t_cmp(marker_of($g3->[-1] // {}) // '', 'ok-3', 'with a slow channel, the other account\'s message is delivered');
ok t_cmp($took <= 2 ? 1 : 0, 1, sprintf('... without waiting for the slow one (%.1f s)', $took));
my $s = wait_messages(channel => $hung[0], count => 2, timeout => 10);
ok t_cmp(marker_of($s->[-1] // {}) // '', 'sl-1', 'the slow channel\'s message arrives');
$mock->normal;
my $c = counters();
ok t_cmp(join(',', map { $c->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'the queue is empty at the end');
