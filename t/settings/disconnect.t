# Disconnect (README "JSON API", docs/CONTRACT.md "Settings"), on the nexte_grace virtual host
# (NexteSlackReconnectGrace 2s): auth.revoke for the workspace's token, tokens gone at
# once, settings kept during the grace (purge_at) and restored by a reconnect, purged
# after it. No read purges (a purge takes SQLite's write lock): past the grace the settings
# read as deleted until the daemon's hourly purge deletes them (t/unit/test_chores_run.c),
# and the reconnect deletes them first (docs/SCHEDULED.md "Chores").
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use Time::HiRes qw(sleep);
use NxsClient qw(:all);
use NxsMock;

plan tests => 41, need_lwp;

Apache::TestRequest::module('nexte_grace');
my $mock = NxsMock->new;
$mock->reset;
my $canon = JSON::PP->new->canonical;
my $ACC = 'acc_disc_1';

sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') : '(not one JSON object)' }
sub same { $canon->encode($_[0]) eq $canon->encode($_[1]) ? 1 : 0 }
sub settings_of {    # what a reconnect must bring back
    my ($cfg) = @_;
    return {categories => $cfg->{categories}, filters => $cfg->{filters}};
}

my ($b) = launch($ACC);
my $grace_port = (split /:/, Apache::TestRequest::hostport())[-1];
ok t_cmp($b->base, qr/:\Q$grace_port\E$/, 'the browser talks to the nexte_grace vhost');
my $res = install($b);
ok t_cmp($res->code . ' ' . ($res->header('Location') // ''), qr{^302 .*connected=T0MOCK01$}, 'connected T0MOCK01');
core_account($ACC, {plan => 'agency', timezone => 'Europe/Paris', locale => 'fr', currency => 'CHF'}, browser => $b);
api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS', mention => 'here'});
api($b, PUT => 'categories/recap', {channel_id => 'C0DAILY'});
api($b, PUT => 'categories/recap/mention', {mention => 'channel'});
my $filters = {amount_thresholds => {payments => '250.00'}, members => {quotes => ['mem_3']},
               active_hours => {days => [qw(mon tue wed thu fri)], start => '08:00', end => '18:00'}};
$res = api($b, PUT => 'filters', $filters);
ok t_cmp($res->code, 200, 'filters set on agency');
my $before = json(api($b, GET => 'config'));
ok t_cmp("$before->{categories}{payments}{channel_id}/$before->{categories}{payments}{mention} "
         . "$before->{categories}{recap}{channel_id}/$before->{categories}{recap}{mention}",
         'C0PAYMENTS/here C0DAILY/channel', 'two categories mapped, with mentions');

my $seq = $mock->last_seq;
api($b, GET => 'channels');
my ($list) = @{ $mock->calls(method => 'conversations.list', since => $seq) };
my $token = $list->{token} // '';
ok t_cmp($token, qr/^xox/, 'the module uses the installed token');

# --- disconnect
$seq = $mock->last_seq;
my $t0 = time;
$res = api($b, POST => 'disconnect');
ok t_cmp($res->code, 200, 'POST disconnect: 200');
my $d = json($res) // {};
ok t_cmp($d->{status}, 'disconnected', 'disconnect: status disconnected');
ok t_cmp(($d->{purge_at} // 0) - $t0, qr/^[23]$/, 'disconnect: purge_at is now + the 2 s grace');
ok t_cmp(same($d->{workspaces}, [{team_id => 'T0MOCK01', revoked => JSON::PP::true, error => undef}]), 1,
         'disconnect: reports the revocation');
my $revokes = $mock->calls(method => 'auth.revoke', since => $seq);
ok t_cmp(scalar @$revokes, 1, 'auth.revoke called once at Slack');
ok t_cmp($revokes->[0]{token} // '', $token, 'auth.revoke for the workspace\'s token');
my ($rec) = grep { $_->{token} eq $token } @{ $mock->tokens(team => 'T0MOCK01') };
ok t_cmp($rec->{revoked} ? 1 : 0, 1, 'the token is revoked at Slack');
ok t_cmp(scalar @{ json(api($b, GET => 'workspaces'))->{workspaces} // [1] }, 0, 'workspaces: empty');
my $cfg = json(api($b, GET => 'config'));
ok t_cmp($cfg->{connection}{state}, 'disconnected', 'config: state disconnected');
ok t_cmp(defined $cfg->{connection}{purge_at} && $cfg->{connection}{purge_at} == $d->{purge_at} ? 1 : 0, 1,
         'config: purge_at as reported');
ok t_cmp(same(settings_of($cfg), settings_of($before)), 1, 'during the grace the settings are kept');
$res = api($b, GET => 'channels');
ok t_cmp($res->code . ' ' . error_of($res), '409 not_connected', 'channels after disconnect: 409 not_connected');
$seq = $mock->last_seq;
$res = api($b, POST => 'confirm');
ok t_cmp($res->code, 409, 'confirm after disconnect: 409');
ok t_cmp(scalar @{ $mock->calls(since => $seq) }, 0, 'no Slack call without a workspace');

# --- reconnect within the grace
$res = install($b);
ok t_cmp($res->code . ' ' . ($res->header('Location') // ''), qr{^302 .*connected=T0MOCK01$}, 'reconnect within the grace');
$cfg = json(api($b, GET => 'config'));
ok t_cmp(time - $t0 <= 2 ? 1 : 0, 1, 'reconnected within the 2 s grace (purge needs 3 whole seconds)');
ok t_cmp($cfg->{connection}{state}, 'connected', 'reconnect: state connected');
ok t_cmp($cfg->{connection}{purge_at}, undef, 'reconnect: no purge_at any more');
ok t_cmp(same($cfg->{categories}, $before->{categories}), 1, 'reconnect: categories and mentions restored');
ok t_cmp(same($cfg->{filters}, $filters), 1, 'reconnect: filters restored');
ok t_cmp($cfg->{filters_applied} ? 1 : 0, 1, 'reconnect: filters applied (agency)');
my ($new) = grep { !$_->{revoked} && $_->{source} eq 'oauth' } @{ $mock->tokens(team => 'T0MOCK01') };
$seq = $mock->last_seq;
$res = api($b, POST => 'confirm');
my ($post) = @{ $mock->calls(method => 'chat.postMessage', since => $seq) };
ok t_cmp(($post->{token} // '') eq ($new->{token} // 'x') && $post->{token} ne $token ? 1 : 0, 1,
         'reconnect: the new token is used, not the revoked one');

# --- disconnect, then let the grace run out
$res = api($b, POST => 'disconnect');
ok t_cmp($res->code, 200, 'second disconnect: 200');
ok t_cmp(json(api($b, GET => 'config'))->{connection}{state}, 'disconnected', 'disconnected again');
sleep 3.2;
$cfg = json(api($b, GET => 'config'));
ok t_cmp($cfg->{connection}{state} ne 'connected' ? 1 : 0, 1, 'after the grace: not connected');
ok t_cmp(scalar @{ $cfg->{workspaces} // [1] }, 0, 'after the grace: no workspace');
ok t_cmp(scalar(grep { defined $cfg->{categories}{$_}{channel_id} } keys %{ $cfg->{categories} // {} }), 0,
         'after the grace: every category unmapped');
ok t_cmp(scalar(grep { $cfg->{categories}{$_}{mention} ne 'none' } keys %{ $cfg->{categories} // {} }), 0,
         'after the grace: every mention back to none');
ok t_cmp(same($cfg->{filters}, {}), 1, 'after the grace: filters empty');
ok t_cmp(same(json(api($b, GET => 'filters'))->{filters}, {}), 1, 'after the grace: GET filters is empty too');
ok t_cmp($cfg->{connection}{purge_at}, undef, 'after the grace: no purge_at any more');

# The account's own data comes from Nexte core (account.updated), not from the Slack
# settings: docs/CONTRACT.md "Settings" purges channels, categories, mentions and filters only.
ok t_cmp(join(' ', map { $cfg->{account}{$_} // '' } qw(plan timezone locale currency)), 'agency Europe/Paris fr CHF',
         'after the grace: plan, timezone, locale and currency are kept');

# A reconnect now starts from scratch.
install($b);
$cfg = json(api($b, GET => 'config'));
ok t_cmp($cfg->{connection}{state} . ' ' . ($cfg->{categories}{payments}{channel_id} // 'unmapped'), 'connected unmapped',
         'a reconnect after the purge restores nothing');

# Slack refusing auth.revoke does not keep the token: the workspace is gone all the same.
$mock->mode(mode => 'slack_error', error => 'invalid_auth', method => 'auth.revoke', count => 1);
$res = api($b, POST => 'disconnect');
ok t_cmp($res->code, 200, 'disconnect when Slack refuses auth.revoke: 200');
my $rv = (json($res)->{workspaces} // [])->[0] // {};
ok t_cmp(($rv->{revoked} ? 'revoked' : 'not revoked') . ' ' . ($rv->{error} // ''), 'not revoked invalid_auth',
         'the refusal is reported');
ok t_cmp(scalar @{ json(api($b, GET => 'workspaces'))->{workspaces} // [1] }, 0, 'the workspace is deleted anyway');
