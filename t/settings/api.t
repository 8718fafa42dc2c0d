# Every route of the settings JSON API (README "JSON API"), through a browser session
# and, for some, Nexte core's signature: shapes, validation (422 invalid_field with
# the field), plan rules for filters, protocol errors (400, 405, 413, 415), channel
# listing across pages and the confirm test messages at the mock Slack.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use NxsClient qw(:all);
use NxsMock;

plan tests => 123, need_lwp;

my $mock = NxsMock->new;
$mock->reset;
my $canon = JSON::PP->new->canonical;
my @CATEGORIES = qw(alerts booking contacts payments quotes recap);

sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') : '(not one JSON object)' }
sub invalid_field {    # "422 invalid_field on FIELD" as one comparable string
    my $j = json($_[0]);
    return $_[0]->code . ' ' . (ref $j eq 'HASH' ? ($j->{error} // '') . ' ' . ($j->{field} // '') : '(not JSON)');
}
sub same { $canon->encode($_[0]) eq $canon->encode($_[1]) ? 1 : 0 }

# --- an account without Slack
my ($n) = launch('acc_api_2');
my $res = api($n, GET => 'channels');
ok t_cmp($res->code, 409, 'channels without a workspace: 409');
ok t_cmp(error_of($res), 'not_connected', 'channels without a workspace: not_connected');
$res = api($n, POST => 'confirm');
ok t_cmp($res->code, 409, 'confirm without a workspace: 409');
ok t_cmp(error_of($res), 'not_connected', 'confirm without a workspace: not_connected');
ok t_cmp(scalar @{ $mock->calls }, 0, 'no Slack call for an account without a workspace');

# --- config shape
my ($b) = launch('acc_api_1');
$res = api($b, GET => 'config');
ok t_cmp($res->code, 200, 'GET config: 200');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'config is JSON');
my $cfg = json($res);
ok t_cmp(join(',', sort keys %$cfg), 'account,categories,connection,filters,filters_applied,reconnect_grace_seconds,workspaces',
         'config: top-level keys');
ok t_cmp($canon->encode($cfg->{account}),
         '{"currency":"EUR","id":"acc_api_1","locale":"en","plan":"solo","timezone":"UTC"}', 'config: account defaults');
ok t_cmp($cfg->{connection}{state}, 'not_connected', 'config: not_connected before an install');
ok t_cmp(ref $cfg->{workspaces}, 'ARRAY', 'config: workspaces is a list');
ok t_cmp(join(',', sort keys %{ $cfg->{categories} }), join(',', @CATEGORIES), 'config: the six categories');
ok t_cmp(join(',', sort keys %{ $cfg->{categories}{payments} }), 'channel_id,channel_name,last_error,mention',
         'config: a category has channel_id, channel_name, mention, last_error');
ok t_cmp(scalar(grep { !defined $cfg->{categories}{$_}{channel_id} && $cfg->{categories}{$_}{mention} eq 'none' }
                @CATEGORIES), 6, 'config: every category unmapped, mention none');
ok t_cmp(same($cfg->{filters}, {}), 1, 'config: no filters');
ok t_cmp($cfg->{filters_applied} ? 1 : 0, 0, 'config: filters not applied on solo');
$res = api($b, GET => 'nope');
ok t_cmp($res->code . ' ' . error_of($res), '404 not_found', 'unknown API route: 404 not_found');

# --- channels (paging, q and the cache: t/settings/channels.t)
install($b);
ok t_cmp(json(api($b, GET => 'config'))->{connection}{state}, 'connected', 'installed: connected');
# A failure is not kept: the next call asks Slack again.
$mock->mode(mode => 'slack_error', error => 'internal_error', method => 'conversations.list', count => 1);
$res = api($b, GET => 'channels');
ok t_cmp($res->code . ' ' . error_of($res), '502 internal_error', 'Slack error on conversations.list: 502 with Slack\'s code');
$mock->normal;
my $seq = $mock->last_seq;
$res = api($b, GET => 'channels');
ok t_cmp($res->code, 200, 'GET channels: 200');
my $ch = json($res) // {};
ok t_cmp($ch->{team_id}, 'T0MOCK01', 'channels of the active workspace');
my @expected = grep { !$_->{is_private} && !$_->{is_archived} }
               @{ $mock->_request(GET => '/_mock/channels', undef, {team => 'T0MOCK01'})->{channels} };
my %ids = map { $_->{id} => $_ } @{ $ch->{channels} // [] };
ok t_cmp(scalar @{ $ch->{channels} // [] }, scalar @expected, 'count equals the mock\'s non-archived public channels');
ok t_cmp(scalar keys %ids, scalar @expected, 'no channel listed twice');
ok t_cmp(scalar(grep { $ids{$_->{id}} } @expected), scalar @expected, 'every expected channel is listed');
ok t_cmp(exists $ids{C0ARCHIVED} ? 1 : 0, 0, 'C0ARCHIVED is left out');
ok t_cmp(exists $ids{G0TEAMPRIV} || exists $ids{G0PRIVATE} ? 1 : 0, 0, 'private channels are not listed');
ok t_cmp($ids{C0DAILY}{name}, 'nexte-daily', 'channels carry their name');
ok t_cmp(exists $ids{C0FILL240} ? 1 : 0, 1, 'the last filler channel (last page) is listed');
ok t_cmp(exists $ch->{next_cursor} && !defined $ch->{next_cursor} ? 1 : 0, 1, 'one page: next_cursor is null');
my @pages = @{ $mock->calls(method => 'conversations.list', since => $seq) };
ok t_cmp(join(' ', map { $_->{body}{limit} // '-' } @pages), '1000',
         'one conversations.list call of 1000 channels for the 247 public ones');

# --- categories
$res = api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS', mention => 'here', channel_name => 'payments'});
ok t_cmp($res->code, 200, 'PUT categories/payments: 200');
my $p = json($res)->{categories}{payments} // {};
ok t_cmp("$p->{channel_id} $p->{channel_name} $p->{mention}", 'C0PAYMENTS payments here', 'payments mapped with its mention');
$res = api($b, PUT => 'categories/recap', {channel_id => 'C0DAILY'});
ok t_cmp(json($res)->{categories}{recap}{channel_id}, 'C0DAILY', 'recap mapped to C0DAILY');
ok t_cmp(json($res)->{categories}{recap}{mention}, 'none', 'mention defaults to none');
$res = signed('acc_api_1', PUT => api_path() . 'categories/quotes', {channel_id => 'C0QUOTES'});
ok t_cmp(json($res)->{categories}{quotes}{channel_id}, 'C0QUOTES', 'signed PUT categories/quotes');

ok t_cmp(invalid_field(api($b, PUT => 'categories/payments', {channel_id => '#general'})),
         '422 invalid_field channel_id', 'channel name instead of ID: 422 on channel_id');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments', {channel_id => 'c0payments'})),
         '422 invalid_field channel_id', 'lower-case channel ID: 422 on channel_id');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments', {mention => 'here'})),
         '422 invalid_field channel_id', 'no channel_id: 422 on channel_id');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS', mention => 'everyone'})),
         '422 invalid_field mention', 'bad mention in a mapping: 422 on mention');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS', channel_name => 'x' x 81})),
         '422 invalid_field channel_name', 'channel_name over 80: 422 on channel_name');
my $msg = json(api($b, PUT => 'categories/payments', {channel_id => '#general'})) // {};
ok t_cmp(length($msg->{message} // ''), qr/^[1-9]\d*$/, '422 carries a message');
$p = json(api($b, GET => 'config'))->{categories}{payments};
ok t_cmp("$p->{channel_id} $p->{mention}", 'C0PAYMENTS here', 'refused mappings changed nothing');

for my $case (['PUT', 'categories/invoices', {channel_id => 'C0PAYMENTS'}], ['DELETE', 'categories/invoices', undef],
              ['PUT', 'categories/invoices/mention', {mention => 'here'}]) {
    $res = api($b, $case->[0], $case->[1], $case->[2]);
    ok t_cmp($res->code . ' ' . error_of($res), '404 unknown_category', "$case->[0] $case->[1]: 404 unknown_category");
}

$res = api($b, DELETE => 'categories/recap');
ok t_cmp($res->code, 200, 'DELETE categories/recap: 200');
ok t_cmp(json($res)->{categories}{recap}{channel_id}, undef, 'recap unmapped');

# --- mention
$res = api($b, PUT => 'categories/payments/mention', {mention => 'channel'});
ok t_cmp($res->code, 200, 'PUT categories/payments/mention: 200');
ok t_cmp(json($res)->{categories}{payments}{mention}, 'channel', 'mention set to channel');
$res = api($b, PUT => 'categories/payments/mention', {mention => 'none'});
ok t_cmp(json($res)->{categories}{payments}{mention}, 'none', 'mention set to none');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments/mention', {mention => '<!everyone>'})),
         '422 invalid_field mention', 'invalid mention: 422 on mention');
ok t_cmp(invalid_field(api($b, PUT => 'categories/payments/mention', {})),
         '422 invalid_field mention', 'missing mention: 422 on mention');
ok t_cmp(json(api($b, GET => 'config'))->{categories}{payments}{mention}, 'none', 'invalid mentions changed nothing');

# --- account: Nexte core's fields, set by a signed call (as account.updated does), never by the session
sub core_put { signed('acc_api_1', PUT => api_path() . 'account', $_[0]) }
$res = api($b, PUT => 'account', {plan => 'agency'});
ok t_cmp($res->code . ' ' . error_of($res), '403 core_owned', 'the session cannot change the plan: 403 core_owned');
ok t_cmp(json(api($b, GET => 'config'))->{account}{plan}, 'solo', 'the plan is still solo');
for my $ok (['plan', 'team'], ['timezone', 'America/New_York'], ['locale', 'fr'], ['currency', 'JPY']) {
    $res = core_put({$ok->[0] => $ok->[1]});
    ok t_cmp($res->code . ' ' . (json($res)->{account}{$ok->[0]} // ''), "200 $ok->[1]", "account $ok->[0] $ok->[1] accepted");
}
for my $bad (['plan', 'enterprise'], ['timezone', 'Mars/Olympus'], ['locale', 'de'], ['currency', 'XYZ'],
             ['currency', 'eur'], ['plan', 3], ['color', 'red']) {
    ok t_cmp(invalid_field(core_put({$bad->[0] => $bad->[1]})), "422 invalid_field $bad->[0]",
             "account $bad->[0] '$bad->[1]' refused with 422 on $bad->[0]");
}
ok t_cmp(invalid_field(core_put({plan => 'agency', locale => 'de'})), '422 invalid_field locale',
         'one bad field refuses the whole update');
$res = signed('acc_api_1', GET => api_path() . 'config');
ok t_cmp($canon->encode(json($res)->{account}),
         '{"currency":"JPY","id":"acc_api_1","locale":"fr","plan":"team","timezone":"America/New_York"}',
         'after the refusals the account is team, America/New_York, fr, JPY');

# --- filters
my $doc = {amount_thresholds => {payments => '500.00', quotes => '1000'}, client_channels => {cli_9 => 'C0PAYMENTS'},
           project_channels => {prj_5 => 'C0QUOTES'}, members => {payments => ['mem_3', 'mem_7'], contacts => []},
           active_hours => {days => [qw(mon tue wed thu fri)], start => '09:00', end => '19:00'}};
signed('acc_api_1', PUT => api_path() . 'account', {plan => 'solo'});
$res = api($b, PUT => 'filters', $doc);
ok t_cmp($res->code . ' ' . error_of($res), '403 plan_required', 'filters on solo: 403 plan_required');
core_put({plan => 'team'});
$res = api($b, PUT => 'filters', $doc);
ok t_cmp($res->code . ' ' . error_of($res), '403 plan_required', 'filters on team: 403 plan_required');
ok t_cmp(same(json(api($b, GET => 'filters'))->{filters}, {}), 1, 'refused filters were not stored');
core_put({plan => 'agency'});
$res = api($b, PUT => 'filters', $doc);
ok t_cmp($res->code, 200, 'filters on agency: 200');
ok t_cmp(same(json($res)->{filters}, $doc), 1, 'the full document is stored as sent');
ok t_cmp(json($res)->{applied} ? 1 : 0, 1, 'applied on agency');
$res = api($b, GET => 'filters');
ok t_cmp(same(json($res)->{filters}, $doc) && json($res)->{applied} ? 1 : 0, 1, 'GET filters returns them, applied');
$cfg = json(api($b, GET => 'config'));
ok t_cmp(same($cfg->{filters}, $doc) && $cfg->{filters_applied} ? 1 : 0, 1, 'config carries them, applied');

my %bad = (
    'threshold on a category without amounts' => [{amount_thresholds => {contacts => '10'}}, 'amount_thresholds.contacts'],
    'threshold not a decimal string' => [{amount_thresholds => {payments => 'abc'}}, 'amount_thresholds.payments'],
    'threshold as a JSON number' => [{amount_thresholds => {payments => 500}}, 'amount_thresholds.payments'],
    'threshold ending with a point' => [{amount_thresholds => {payments => '500.'}}, 'amount_thresholds.payments'],
    'thresholds not an object' => [{amount_thresholds => ['500']}, 'amount_thresholds'],
    'client channel by name' => [{client_channels => {cli_9 => '#acme'}}, 'client_channels.cli_9'],
    'project id with a space' => [{project_channels => {'prj 5' => 'C0QUOTES'}}, 'project_channels'],
    'members for recap' => [{members => {recap => ['mem_3']}}, 'members'],
    'members for an unknown category' => [{members => {invoices => ['mem_3']}}, 'members'],
    'members not a list' => [{members => {payments => 'mem_3'}}, 'members.payments'],
    'member id with bad characters' => [{members => {payments => ['mem 3!']}}, 'members.payments'],
    'active hours without days' => [{active_hours => {days => [], start => '09:00', end => '19:00'}}, 'active_hours'],
    'active hours with an unknown day' => [{active_hours => {days => ['mon', 'xyz'], start => '09:00', end => '19:00'}}, 'active_hours.days'],
    'active hours ending when they start' => [{active_hours => {days => ['mon'], start => '09:00', end => '09:00'}}, 'active_hours.start'],
    'active hours at 25:00' => [{active_hours => {days => ['mon'], start => '09:00', end => '25:00'}}, 'active_hours.start'],
    'active hours with an extra key' => [{active_hours => {days => ['mon'], start => '09:00', end => '19:00', tz => 'UTC'}}, 'active_hours'],
    'unknown filter' => [{colors => {payments => 'red'}}, 'filters'],
);
for my $what (sort keys %bad) {
    my ($doc_bad, $field) = @{ $bad{$what} };
    ok t_cmp(invalid_field(api($b, PUT => 'filters', $doc_bad)), "422 invalid_field $field",
             "invalid filter ($what): 422 naming $field");
}
ok t_cmp(same(json(api($b, GET => 'filters'))->{filters}, $doc), 1, 'invalid filters changed nothing');
my $night = {%$doc, active_hours => {days => ['fri'], start => '22:00', end => '06:00'}};
$res = api($b, PUT => 'filters', $night);
ok t_cmp($res->code . ' ' . same(json($res)->{filters}, $night), '200 1',
         'active hours crossing midnight (Friday 22:00 to Saturday 06:00) are stored');
api($b, PUT => 'filters', $doc);

core_put({plan => 'team'});
$res = api($b, GET => 'filters');
ok t_cmp(same(json($res)->{filters}, $doc), 1, 'after a downgrade to team the filters are kept');
ok t_cmp(json($res)->{applied} ? 1 : 0, 0, 'after a downgrade: applied=false');
ok t_cmp(json(api($b, GET => 'config'))->{filters_applied} ? 1 : 0, 0, 'after a downgrade: config filters_applied=false');

# --- protocol errors
$res = request($b, PUT => 'account', headers => {'Content-Type' => 'application/json', 'X-CSRF-Token' => $b->{csrf}},
               content => '{"plan":');
ok t_cmp($res->code . ' ' . error_of($res), '400 malformed_json', 'malformed JSON: 400 malformed_json');
$res = api($b, PUT => 'account', '["plan","agency"]');
ok t_cmp($res->code . ' ' . error_of($res), '400 malformed_json', 'a JSON array instead of an object: 400');
$res = request($b, PUT => 'account', headers => {'Content-Type' => 'text/plain', 'X-CSRF-Token' => $b->{csrf}},
               content => '{"plan":"agency"}');
ok t_cmp($res->code, 415, 'text/plain body: 415');
$res = request($b, PUT => 'account', headers => {'X-CSRF-Token' => $b->{csrf}}, content => '{"plan":"agency"}');
ok t_cmp($res->code, 415, 'no Content-Type: 415');
$res = request($b, PUT => 'account', headers => {'Content-Type' => 'application/json', 'X-CSRF-Token' => $b->{csrf}},
               content => '{"plan":"agency","pad":"' . ('x' x (64 * 1024)) . '"}');
ok t_cmp($res->code, 413, 'body over 64 KiB: 413');
ok t_cmp(json(api($b, GET => 'config'))->{account}{plan}, 'team', 'refused bodies changed nothing');

$res = api($b, DELETE => 'config');
ok t_cmp($res->code, 405, 'DELETE config: 405');
ok t_cmp($res->header('Allow'), 'GET', 'DELETE config: Allow: GET');
$res = api($b, POST => 'categories/payments', {channel_id => 'C0PAYMENTS'});
ok t_cmp($res->code, 405, 'POST categories/payments: 405');
ok t_cmp(join(',', sort split /,\s*/, $res->header('Allow') // ''), 'DELETE,PUT', 'POST categories/payments: Allow: PUT, DELETE');
$res = api($b, GET => 'confirm');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'GET confirm: 405 with Allow: POST');
$res = api($b, GET => 'disconnect');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'GET disconnect: 405 with Allow: POST');
$res = api($b, POST => 'workspaces');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 GET', 'POST workspaces: 405 with Allow: GET');

# --- workspaces route
$res = api($b, GET => 'workspaces');
my $w = (json($res)->{workspaces} // [])->[0] // {};
ok t_cmp(join(',', sort keys %$w), 'active,bot_user_id,installed_at,needs_reconnect,scopes,team_id,team_name,token_rotation',
         'GET workspaces: the documented fields, no token');
ok t_cmp(invalid_field(api($b, PUT => 'workspaces/active', {})), '422 invalid_field team_id', 'PUT workspaces/active without team_id: 422');

# --- confirm
api($b, PUT => 'categories/alerts', {channel_id => 'C0ARCHIVED'});    # archived at Slack
api($b, PUT => 'categories/recap', {channel_id => 'C0DAILY'});
$seq = $mock->last_seq;
$res = api($b, POST => 'confirm');
ok t_cmp($res->code, 200, 'POST confirm: 200');
my $c = json($res) // {};
ok t_cmp($c->{ok} ? 1 : 0, 0, 'confirm: ok=false when a channel fails');
ok t_cmp(join(',', sort keys %{ $c->{results} // {} }), 'alerts,payments,quotes,recap', 'confirm: one result per mapped category');
for my $cat (qw(payments quotes recap)) {
    my $r = $c->{results}{$cat} // {};
    ok t_cmp(($r->{ok} ? 1 : 0) . ' ' . ($r->{ts} // '-'), qr/^1 \d+\.\d+$/, "confirm: $cat ok with a ts");
}
my $r = $c->{results}{alerts} // {};
ok t_cmp(($r->{ok} ? 1 : 0) . " $r->{channel_id} " . ($r->{error} // ''), '0 C0ARCHIVED is_archived',
         'confirm: the archived channel fails with is_archived');
my $posts = $mock->calls(method => 'chat.postMessage', since => $seq);
ok t_cmp(join(',', sort map { $_->{channel} } @$posts), 'C0ARCHIVED,C0DAILY,C0PAYMENTS,C0QUOTES',
         'the mock got one test message per mapped channel');
my ($pay) = @{ $mock->messages(channel => 'C0PAYMENTS') };
ok t_cmp($pay->{ts}, $c->{results}{payments}{ts}, 'the reported ts is the stored message\'s');
ok t_cmp($pay->{text} // '', qr/Nexte est connect/, 'the test message is in the account\'s locale (fr)');
