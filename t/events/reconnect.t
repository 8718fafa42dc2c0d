# Account errors (docs/CONTRACT.md "Delivery"): a revoked token holds the account's queue, marks the
# connection "reconnect needed" and tells Nexte core through a signed callback (the
# mock's callback sink); other accounts keep flowing; a reconnect delivers what was
# held, in order. Accounts acc_rc_1 (broken) and acc_rc_2 (healthy).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(hmac_sha256_hex);
use Time::HiRes qw(time sleep);
use NxsClient qw(signed install secret);
use NxsEvents qw(:all);

plan tests => 30, need_lwp;

my $mock = mock();
$mock->reset;
my ($R, $O) = ('acc_rc_1', 'acc_rc_2');
my $b = connect_account($R, categories => {payments => 'C0PAYMENTS'});
connect_account($O, categories => {quotes => 'C0QUOTES'});
my $before = counters();
my $held0 = $before->{accounts_needing_reconnect} // 0;
sub config_of { json(signed($_[0], GET => '/nexte/settings/api/config')) // {} }

# A first message goes through and shows which token the account uses.
post_event(event('invoice.paid', account_id => $R, marker => 'rc-0'));
my $m = wait_messages(channel => 'C0PAYMENTS', count => 1, timeout => 10);
ok t_cmp(join(',', @{ markers_of($m) }), 'rc-0', 'the account delivers normally at first');
my ($first) = @{ $mock->calls(method => 'chat.postMessage', channel => 'C0PAYMENTS') };
my $token = $first->{token} // '';

# ---------------------------------------------------------------- the token is revoked
$mock->token(action => 'revoke', token => $token);
my $cb_seq = $mock->stats->{callbacks}{received};
my $seq = $mock->last_seq;
my $res = post_event(event('invoice.paid', account_id => $R, marker => 'rc-1'));
ok t_cmp($res->code, 202, 'an event for the broken account is still accepted (202)');
my $cbs = $mock->wait_for_callbacks(since => $cb_seq, type => 'slack.connection_broken', count => 1, timeout => 10);
ok t_cmp(scalar @$cbs, 1, 'a slack.connection_broken callback reached Nexte core (the sink)');
my $cb = $cbs->[0] // {};
my $j = $cb->{json} // {};
ok t_cmp(join('|', map { $j->{$_} // '-' } qw(type account_id team_id error)),
         "slack.connection_broken|$R|T0MOCK01|token_revoked", 'callback: type, account_id, team_id and error');
my $ts = $cb->{headers}{'X-Nexte-Timestamp'} // '';
my $sig = $cb->{headers}{'X-Nexte-Signature'} // '';
ok t_cmp($ts =~ /^\d+$/ && abs($ts - time) < 60 ? 1 : 0, 1, 'callback: X-Nexte-Timestamp is now');
ok t_cmp($sig, 'v1=' . hmac_sha256_hex("v1:$ts:" . ($cb->{body} // ''), secret()),
         'callback: X-Nexte-Signature is v1=HMAC-SHA256(event secret, "v1:" ts ":" body)');
ok t_cmp($cb->{content_type} // '', qr{^application/json}, 'callback: Content-Type application/json');

my $calls = $mock->calls(method => 'chat.postMessage', since => $seq);
ok t_cmp(join(',', map { ($_->{response}{error} // 'ok') } @$calls), 'token_revoked',
         'Slack saw one try, answered token_revoked, and no retry followed');
ok t_cmp(scalar @{ $mock->messages(channel => 'C0PAYMENTS') }, 1, 'the held message was not posted');
my $c = wait_until(5, sub { my $k = counters(); ($k->{accounts_needing_reconnect} // 0) > $held0 ? $k : undef }) // counters();
ok t_cmp($c->{accounts_needing_reconnect}, $held0 + 1, "status: accounts_needing_reconnect is $held0 + 1");
my $cfg = config_of($R);
ok t_cmp($cfg->{connection}{state} // '', 'reconnect_needed', 'settings config: connection state reconnect_needed');
my ($ws) = grep { ($_->{team_id} // '') eq 'T0MOCK01' } @{ $cfg->{workspaces} // [] };
ok t_cmp($ws && $ws->{needs_reconnect} ? 1 : 0, 1, 'settings config: the workspace needs_reconnect');
my $prom = prometheus();
ok t_cmp($prom, qr/^nexte_slack_accounts_needing_reconnect \Q@{[ $held0 + 1 ]}\E$/m, 'Prometheus: nexte_slack_accounts_needing_reconnect');

# ---------------------------------------------------------------- more events: held; the other account flows
my @codes;
for my $i (2 .. 4) {
    push @codes, post_event(event('invoice.paid', account_id => $R, marker => "rc-$i"))->code;
    push @codes, post_event(event('quote.sent', account_id => $O, marker => "ok-$i"))->code;
}
ok t_cmp("@codes", '202 202 202 202 202 202', 'both accounts\' events are accepted');
my $q = wait_messages(channel => 'C0QUOTES', count => 3, timeout => 10);
ok t_cmp(join(',', @{ markers_of($q) }), 'ok-2,ok-3,ok-4', 'the healthy account keeps flowing meanwhile');
sleep 1;
$calls = $mock->calls(method => 'chat.postMessage', channel => 'C0PAYMENTS', since => $seq);
ok t_cmp(scalar @$calls, 1, 'the held account\'s later messages are not even tried');
ok t_cmp(scalar @{ $mock->messages(channel => 'C0PAYMENTS') }, 1, 'nothing more posted for the held account');
ok t_cmp(scalar @{ $mock->callbacks(since => $cb_seq) }, 1, 'one callback for the break, not one per message');
$c = counters();
ok t_cmp(($c->{queue_depth} // 0) >= 4 ? 1 : 0, 1, 'status: the 4 held messages wait in the queue (' . ($c->{queue_depth} // '?') . ')');
ok t_cmp(($c->{dropped} // 0) - ($before->{dropped} // 0) + ($c->{dead_lettered} // 0) - ($before->{dead_lettered} // 0), 0,
         'status: nothing dropped or dead-lettered');

# ---------------------------------------------------------------- reconnect
$seq = $mock->last_seq;
$res = install($b, mock => $mock);
ok t_cmp(($res->header('Location') // ''), qr/connected=T0MOCK01$/, 'reconnect: Add to Slack again succeeds');
my $p = wait_messages(channel => 'C0PAYMENTS', count => 5, timeout => 15);
sleep 1;
$p = $mock->messages(channel => 'C0PAYMENTS');
ok t_cmp(join(',', @{ markers_of($p) }), 'rc-0,rc-1,rc-2,rc-3,rc-4', 'after the reconnect the held messages are delivered, in order, once each');
$calls = $mock->calls(method => 'chat.postMessage', channel => 'C0PAYMENTS', since => $seq);
ok t_cmp(scalar(grep { ($_->{token} // '') eq $token } @$calls), 0, 'the revoked token is not used again');
ok t_cmp(scalar(grep { $_->{response}{ok} } @$calls), 4, 'four successful posts with the new token');
$c = wait_until(5, sub { my $k = counters(); ($k->{accounts_needing_reconnect} // 0) == $held0 ? $k : undef }) // counters();
ok t_cmp($c->{accounts_needing_reconnect}, $held0, 'status: accounts_needing_reconnect back where it was');
$cfg = config_of($R);
ok t_cmp($cfg->{connection}{state} // '', 'connected', 'settings config: connected again');
($ws) = grep { ($_->{team_id} // '') eq 'T0MOCK01' } @{ $cfg->{workspaces} // [] };
ok t_cmp($ws && !$ws->{needs_reconnect} ? 1 : 0, 1, 'settings config: the workspace no longer needs a reconnect');
ok t_cmp(join(',', map { $c->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: the queue is empty');
ok t_cmp($mock->stats->{rate_violations}{total}, 0, 'no rate-limit violation');

# A later event goes straight through.
post_event(event('invoice.paid', account_id => $R, marker => 'rc-5'));
$p = wait_messages(channel => 'C0PAYMENTS', count => 6, timeout => 10);
ok t_cmp(marker_of($p->[-1] // {}) // '', 'rc-5', 'a new event is delivered normally after the reconnect');
