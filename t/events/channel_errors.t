# Channel errors (docs/CONTRACT.md "Delivery"): is_archived, channel_not_found, not_in_channel and a Block
# Kit refusal are not retried; the message is dropped, the error is recorded on the
# category (settings config last_error) and counted (dropped, slack_errors by code);
# the channel's next message is not held back. Account acc_ce_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsClient qw(signed api);
use NxsEvents qw(:all);

plan tests => 24, need_lwp;

my $mock = mock();
$mock->reset;
my $ACC = 'acc_ce_1';
my %map = (payments => 'C0ARCHIVED', quotes => 'C0NOPE404', contacts => 'G0PRIVATE', alerts => 'C0ALERTS',
           booking => 'C0BOOKING');
my $b = connect_account($ACC, categories => \%map);
my $before = counters();
sub config_of { json(signed($ACC, GET => '/nexte/settings/api/config')) // {} }
sub errs { my ($k) = @_; ($k->{slack_errors} // {}) }

my $seq = $mock->last_seq;
$mock->mode(mode => 'slack_error', error => 'invalid_blocks', channel => 'C0ALERTS', count => 1);
my @codes;
push @codes, post_event(event('invoice.paid', account_id => $ACC, marker => "ce-pay$_"))->code for 1 .. 2;
push @codes, post_event(event('quote.sent', account_id => $ACC, marker => "ce-quo$_"))->code for 1 .. 2;
push @codes, post_event(event('lead.received', account_id => $ACC, marker => 'ce-lead'))->code;
push @codes, post_event(event('invoice.overdue', account_id => $ACC, marker => "ce-al$_", data => {days_overdue => 30}))->code for 1 .. 2;
push @codes, post_event(event('appointment.booked', account_id => $ACC, marker => 'ce-book'))->code;
ok t_cmp("@codes", '202 202 202 202 202 202 202 202', 'all events accepted (the channel errors are found at delivery)');

my $al = wait_messages(channel => 'C0ALERTS', count => 1, timeout => 10);
my $bk = wait_messages(channel => 'C0BOOKING', count => 1, timeout => 10);
my $after = wait_until(10, sub {
    my $k = counters();
    (($k->{dropped} // 0) - ($before->{dropped} // 0)) >= 6 ? $k : undef;
}) // counters();
sleep 2.5;    # a retry (there must be none) would have happened by now: backoff is 100 ms .. 2 s
$after = counters();

my %calls_of;
for my $c (@{ $mock->calls(method => 'chat.postMessage', since => $seq) }) {
    push @{ $calls_of{ marker_of($c->{body} // {}) // '?' } }, $c->{response}{ok} ? 'ok' : ($c->{response}{error} // $c->{status});
}
ok t_cmp(join(',', @{ $calls_of{'ce-pay1'} // [] }), 'is_archived', 'C0ARCHIVED: one chat.postMessage, is_archived, not retried');
ok t_cmp(join(',', @{ $calls_of{'ce-pay2'} // [] }), 'is_archived', 'C0ARCHIVED: the next message was tried too (once), not held behind the first');
ok t_cmp(join(',', @{ $calls_of{'ce-quo1'} // [] }), 'channel_not_found', 'unknown channel: one chat.postMessage, channel_not_found, not retried');
ok t_cmp(join(',', @{ $calls_of{'ce-quo2'} // [] }), 'channel_not_found', 'unknown channel: the second message once as well');
ok t_cmp(join(',', @{ $calls_of{'ce-lead'} // [] }), 'not_in_channel', 'private channel without the bot: one call, not_in_channel');
ok t_cmp(join(',', @{ $calls_of{'ce-al1'} // [] }), 'invalid_blocks', 'Block Kit refused (invalid_blocks): one call, not retried');
ok t_cmp(join(',', @{ $calls_of{'ce-al2'} // [] }), 'ok', 'the same channel\'s next message is delivered');
ok t_cmp(join(',', @{ markers_of($al) }), 'ce-al2', 'C0ALERTS shows only the second alert');
ok t_cmp(join(',', @{ markers_of($bk) }), 'ce-book', 'a healthy category of the same account is delivered');
ok t_cmp(scalar(@{ $mock->messages(channel => 'C0ARCHIVED') }) + scalar(@{ $mock->messages(channel => 'G0PRIVATE') }), 0,
         'nothing was posted in the archived or private channel');

my $cfg = config_of();
my $cats = $cfg->{categories} // {};
ok t_cmp($cats->{payments}{last_error} // '', qr/is_archived/, 'settings config: payments last_error is_archived');
ok t_cmp($cats->{quotes}{last_error} // '', qr/channel_not_found/, 'settings config: quotes last_error channel_not_found');
ok t_cmp($cats->{contacts}{last_error} // '', qr/not_in_channel/, 'settings config: contacts last_error not_in_channel');
ok t_cmp($cats->{alerts}{last_error} // '', qr/invalid_blocks/, 'settings config: alerts last_error invalid_blocks');
ok t_cmp($cats->{booking}{last_error}, undef, 'settings config: booking has no error');

ok t_cmp(($after->{dropped} // 0) - ($before->{dropped} // 0), 6, 'status: dropped grew by 6');
ok t_cmp(($after->{retried} // 0) - ($before->{retried} // 0), 0, 'status: no retry');
ok t_cmp(($after->{dead_lettered} // 0) - ($before->{dead_lettered} // 0), 0, 'status: nothing dead-lettered');
my %d = map { ($_ => (errs($after)->{$_} // 0) - (errs($before)->{$_} // 0)) } qw(is_archived channel_not_found not_in_channel invalid_blocks);
ok t_cmp(join(',', map { "$_=$d{$_}" } sort keys %d), 'channel_not_found=2,invalid_blocks=1,is_archived=2,not_in_channel=1',
         'status: slack_errors counted by code');
my $prom = prometheus();
ok t_cmp($prom, qr/^nexte_slack_slack_errors_total\{code="is_archived"\} \Q@{[ errs($after)->{is_archived} ]}\E$/m,
         'Prometheus: nexte_slack_slack_errors_total{code="is_archived"}');
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: nothing left in the queue');

# Mapping the category again clears its error, and messages flow.
my $res = api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS'});
ok t_cmp(config_of()->{categories}{payments}{last_error}, undef, 'remapping payments clears its last_error');
post_event(event('invoice.paid', account_id => $ACC, marker => 'ce-pay3'));
my $p = wait_messages(channel => 'C0PAYMENTS', count => 1, timeout => 10);
ok t_cmp(join(',', @{ markers_of($p) }), 'ce-pay3', 'the remapped category delivers');
