# Slack's transient API errors (docs/CONTRACT.md "Delivery"): service_unavailable / request_timeout are
# retried until they pass; internal_error / fatal_error "may already have posted", so
# the module retries such a message once and dead-letters it ("possibly_posted") if the
# retry fails the same way: a message is duplicated at most once (ARCHITECTURE
# "Delivery"). Account acc_se_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use JSON::PP ();
use NxsEvents qw(:all);

plan tests => 12, need_lwp;

my $mock = mock();
$mock->reset;
my $ACC = 'acc_se_1';
my %ch = (payments => 'C0FILL041', quotes => 'C0FILL042', contacts => 'C0FILL043', alerts => 'C0FILL044');
connect_account($ACC, categories => \%ch);
my $before = counters();
my $seq = $mock->last_seq;

# payments: internal_error once, but Slack did post it (apply) -> one retry -> a bounded duplicate.
$mock->mode(mode => 'slack_error', error => 'internal_error', apply => JSON::PP::true(), channel => $ch{payments}, count => 1);
# quotes: internal_error twice, posted both times -> retried once, then dead-lettered as possibly_posted.
$mock->mode(mode => 'slack_error', error => 'internal_error', apply => JSON::PP::true(), channel => $ch{quotes}, count => 2);
# contacts: fatal_error once, not posted -> retried, delivered once.
$mock->mode(mode => 'slack_error', error => 'fatal_error', channel => $ch{contacts}, count => 1);
# alerts: service_unavailable once -> retried, delivered.
$mock->mode(mode => 'slack_error', error => 'service_unavailable', channel => $ch{alerts}, count => 1);

my @codes = (
    post_event(event('invoice.paid', account_id => $ACC, marker => 'se-pay'))->code,
    post_event(event('quote.sent', account_id => $ACC, marker => 'se-quo'))->code,
    post_event(event('lead.received', account_id => $ACC, marker => 'se-lead'))->code,
    post_event(event('invoice.overdue', account_id => $ACC, marker => 'se-al', data => {days_overdue => 9}))->code,
);
ok t_cmp("@codes", '202 202 202 202', 'four events accepted');
wait_messages(channel => $ch{payments}, count => 2, timeout => 10);
wait_messages(channel => $ch{contacts}, count => 1, timeout => 10);
wait_messages(channel => $ch{alerts}, count => 1, timeout => 10);
my $after = wait_until(10, sub { my $k = counters(); ($k->{dead_lettered} // 0) > ($before->{dead_lettered} // 0) ? $k : undef });
sleep 2.5;    # anything else (a third try) would have happened by now
$after = counters();

my %tries;
for my $c (@{ $mock->calls(method => 'chat.postMessage', since => $seq) }) {
    push @{ $tries{ $c->{channel} } }, $c->{response}{ok} ? 'ok' : ($c->{response}{error} // $c->{status});
}
my %n = map { ($_ => scalar @{ $mock->messages(channel => $ch{$_}) }) } keys %ch;

ok t_cmp(join(',', @{ $tries{ $ch{payments} } // [] }), 'internal_error,ok', 'internal_error: retried once, then ok');
ok t_cmp($n{payments}, 2, 'internal_error after Slack had posted: one duplicate, no more');
ok t_cmp(join(',', @{ $tries{ $ch{quotes} } // [] }), 'internal_error,internal_error',
         'internal_error twice: exactly one retry, no third try');
ok t_cmp($n{quotes}, 2, 'possibly posted twice: still at most one duplicate');
ok t_cmp(($after->{dead_lettered} // 0) - ($before->{dead_lettered} // 0), 1, 'status: dead-lettered (possibly_posted)');
ok t_cmp((($after->{slack_errors} // {})->{possibly_posted} // 0) - (($before->{slack_errors} // {})->{possibly_posted} // 0), 1,
         'status: slack_errors possibly_posted counted');
ok t_cmp(join(',', @{ $tries{ $ch{contacts} } // [] }), 'fatal_error,ok', 'fatal_error: retried once, then ok');
ok t_cmp($n{contacts}, 1, 'fatal_error that did not post: delivered exactly once');
ok t_cmp(join(',', @{ $tries{ $ch{alerts} } // [] }), 'service_unavailable,ok', 'service_unavailable: retried until it passes');
ok t_cmp($n{alerts}, 1, 'service_unavailable: delivered once');
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: the queue is empty');
