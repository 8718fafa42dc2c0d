# Disconnect drops what is queued (docs/CONTRACT.md "Settings", "Delivery"): events queued while Slack is down,
# then the account disconnects (POST api/disconnect); once Slack is back none of them is
# posted, not even after a reconnect. Also for an account held for reconnect.
# Accounts acc_dc_1 (outage) and acc_dc_2 (held).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsClient qw(api signed install);
use NxsEvents qw(:all);

plan tests => 21, need_lwp;

my $mock = mock();
$mock->reset;
my ($D, $H) = ('acc_dc_1', 'acc_dc_2');
my $b = connect_account($D, categories => {payments => 'C0PAYMENTS'});
my $bh = connect_account($H, categories => {quotes => 'C0QUOTES'});
my $before = counters();

# ---------------------------------------------------------------- queued during an outage, then disconnect
$mock->mode(mode => 'outage');
my @codes = map { post_event(event('invoice.paid', account_id => $D, marker => "dc-$_"))->code } 1 .. 3;
ok t_cmp("@codes", '202 202 202', 'three events accepted during the outage');
sleep 0.5;
my $c = counters();
ok t_cmp(($c->{queue_depth} // 0) >= 3 ? 1 : 0, 1, 'status: they wait in the queue (' . ($c->{queue_depth} // '?') . ')');

my $res = api($b, POST => 'disconnect');
ok t_cmp($res->code, 200, 'POST api/disconnect during the outage: 200 (revocation is best effort)');
$c = wait_until(5, sub { my $k = counters(); ($k->{queue_depth} // 1) == 0 ? $k : undef }) // counters();
ok t_cmp($c->{queue_depth}, 0, 'status: the account\'s queued messages are gone from the queue');
ok t_cmp(($c->{dropped} // 0) - ($before->{dropped} // 0), 3, 'status: dropped grew by 3');

my $seq = $mock->last_seq;
$mock->normal;
sleep 2.3;    # more than the 2 s maximum backoff: any survivor would be retried by now
ok t_cmp(scalar @{ $mock->messages(channel => 'C0PAYMENTS') }, 0, 'after recovery none of them is posted');
ok t_cmp(scalar @{ $mock->calls(method => 'chat.postMessage', since => $seq) }, 0, 'and none is even tried');

$res = post_event(event('invoice.paid', account_id => $D, marker => 'dc-after'));
my $j = json($res) // {};
ok t_cmp($res->code . ' ' . ($j->{deliveries} // '-') . ' ' . ($j->{reason} // '-'), '202 0 not_connected',
         'an event after the disconnect: 202, deliveries 0, not_connected');

# A reconnect within the grace restores the settings, not the dropped messages.
$res = install($b, mock => $mock);
ok t_cmp($res->header('Location') // '', qr/connected=T0MOCK01$/, 'reconnect within the grace');
ok t_cmp(json(signed($D, GET => '/nexte/settings/api/config'))->{categories}{payments}{channel_id} // '', 'C0PAYMENTS',
         'the category map is restored');
post_event(event('invoice.paid', account_id => $D, marker => 'dc-new'));
my $p = wait_messages(channel => 'C0PAYMENTS', count => 1, timeout => 10);
sleep 1;
$p = $mock->messages(channel => 'C0PAYMENTS');
ok t_cmp(join(',', @{ markers_of($p) }), 'dc-new', 'after the reconnect only the new event is posted; the dropped ones stay dropped');

# ---------------------------------------------------------------- an account held for reconnect disconnects
post_event(event('quote.sent', account_id => $H, marker => 'dh-0'));
my $q = wait_messages(channel => 'C0QUOTES', count => 1, timeout => 10);
my ($call) = @{ $mock->calls(method => 'chat.postMessage', channel => 'C0QUOTES') };
$mock->token(action => 'revoke', token => $call->{token} // '');
my $held0 = counters()->{accounts_needing_reconnect} // 0;
my $cb_seq = $mock->stats->{callbacks}{received};
$mock->callback_status(503);    # Nexte core is unavailable when the break is reported
post_event(event('quote.sent', account_id => $H, marker => "dh-$_")) for 1 .. 3;
$c = wait_until(10, sub { my $k = counters(); ($k->{accounts_needing_reconnect} // 0) > $held0 ? $k : undef }) // counters();
ok t_cmp($c->{accounts_needing_reconnect}, $held0 + 1, 'the revoked account is held (accounts_needing_reconnect + 1)');
my $cbs = $mock->wait_for_callbacks(since => $cb_seq, count => 3, timeout => 5);
sleep 1;
$cbs = $mock->callbacks(since => $cb_seq);
$mock->callback_status(200);
my %bodies = map { ($_->{body} // '') => 1 } @$cbs;
ok t_cmp(scalar(@$cbs) . ' ' . scalar(keys %bodies) . ' ' . join(',', map { $_->{json}{type} // '-' } @$cbs),
         '3 1 slack.connection_broken,slack.connection_broken,slack.connection_broken',
         'a callback answered 503 is tried 3 times with the same body, then given up');
ok t_cmp(($c->{queue_depth} // 0) >= 3 ? 1 : 0, 1, 'its 3 messages wait');
my $dropped0 = $c->{dropped} // 0;
$res = api($bh, POST => 'disconnect');
ok t_cmp($res->code, 200, 'the held account disconnects: 200');
$c = wait_until(5, sub { my $k = counters(); ($k->{queue_depth} // 1) == 0 ? $k : undef }) // counters();
ok t_cmp($c->{queue_depth}, 0, 'its held messages are dropped from the queue');
ok t_cmp(($c->{dropped} // 0) - $dropped0, 3, 'status: dropped grew by 3');
ok t_cmp($c->{accounts_needing_reconnect}, $held0, 'a disconnected account no longer counts as needing a reconnect');
ok t_cmp(json(signed($H, GET => '/nexte/settings/api/config'))->{connection}{state} // '', 'disconnected',
         'settings config: disconnected (not reconnect_needed)');
$res = install($bh, mock => $mock);
sleep 2.3;
ok t_cmp(join(',', @{ markers_of($mock->messages(channel => 'C0QUOTES')) }), 'dh-0',
         'after a reconnect, the messages dropped while held are not posted');
ok t_cmp(counters()->{accounts_needing_reconnect}, $held0, 'and nothing is held any more');
