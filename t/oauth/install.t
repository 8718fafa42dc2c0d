# Add to Slack (README "Add to Slack (OAuth v2)"), against the mock Slack: the full
# flow, what Slack receives, every refusal (cancel, reused/unknown state, missing
# cookie, Slack ok:false, Slack unreachable, no session), several workspaces and
# re-installs.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use HTTP::Request;
use URI;
use NxsClient qw(:all);
use NxsMock;

plan tests => 82, need_lwp;

my $mock = NxsMock->new;
$mock->reset;

my $callback = base_url() . '/nexte/oauth/callback';
sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') : '(not one JSON object)' }
sub query_of { my %q = URI->new($_[0] // '')->query_form; \%q }
sub active_team { my ($w) = grep { $_->{active} } @{ $_[0] }; $w ? $w->{team_id} : '' }
sub calls_of { scalar @{ $mock->calls(method => $_[0]) } }
sub is_page {    # an HTML page with a link back to the settings, no raw JSON
    my ($res) = @_;
    return ($res->header('Content-Type') // '') =~ m{^text/html}
        && $res->content =~ m{<a href="/nexte/settings/">}
        && $res->content !~ /\{\s*"|"ok"\s*:/ ? 1 : 0;
}

# --- /start needs a session, a POST and the session's CSRF token
my $anon = browser();
my $res = $anon->post($anon->url('/nexte/oauth/start'), { csrf_token => 'x' });
ok t_cmp($res->code, 401, '/start without a session: 401');
ok t_cmp($res->header('Content-Type'), qr{^text/html}, '/start without a session: a page');
ok t_cmp($res->header('Location'), undef, '/start without a session: no redirect to Slack');
{
    my ($s) = launch('acc_oauth_csrf');
    my $w = start_install($s, csrf => '');
    ok t_cmp($w->{start}->code, 403, '/start without the CSRF token: 403');
    ok t_cmp($w->{start}->content, qr/csrf_failed/, '/start without the CSRF token: the page says why');
    $w = start_install($s, csrf => 'f' x 64);
    ok t_cmp($w->{start}->code, 403, '/start with a wrong CSRF token: 403');
    ok t_cmp(scalar(grep { /^nxs_oauth=[^;]/ } $w->{start}->header('Set-Cookie')), 0,
             '/start refused: no install cookie');
    $res = $s->get($s->url('/nexte/oauth/start'));
    ok t_cmp($res->code, 302, 'GET /start: 302');
    ok t_cmp($res->header('Location'), qr{^(?:https?://[^/]+)?/nexte/settings/$},
             'GET /start changes nothing: sent to the settings page, not to Slack');
    ok t_cmp(scalar(grep { /^nxs_oauth=[^;]/ } $res->header('Set-Cookie')), 0, 'GET /start: no install cookie');
    $res = $s->request(HTTP::Request->new(PUT => $s->url('/nexte/oauth/start')));
    ok t_cmp($res->code, 405, 'PUT /start: 405');
}

# --- the full flow
my $A = 'acc_oauth_1';
my ($b) = launch($A);
my ($final, $walk) = install($b);
ok t_cmp($walk->{start}->code, 302, '/start: 302');
my $auth_url = $walk->{authorize_url} // '';
ok t_cmp($auth_url, qr{^\Q${\ $mock->authorize_url }\E\?}, '/start redirects to NexteSlackAuthorizeURL');
my $q = query_of($auth_url);
ok t_cmp($q->{client_id}, '1111.2222', 'authorize: client_id');
ok t_cmp($q->{scope}, 'chat:write,chat:write.public,channels:read', 'authorize: bot scopes');
ok t_cmp($q->{redirect_uri}, $callback, 'authorize: redirect_uri is PublicURL + /nexte/oauth/callback');
ok t_cmp(length($q->{state} // ''), qr/^(?:[2-9]\d|\d{3,})$/, 'authorize: a long random state');
my ($oc) = grep { /^nxs_oauth=/ } $walk->{start}->header('Set-Cookie');
ok t_cmp($oc // '', qr/^nxs_oauth=[^;]+;.*HttpOnly/i, '/start binds the browser with an HttpOnly nxs_oauth cookie');
ok t_cmp($walk->{authorize}->code, 302, 'mock authorize: 302 back to the module');
my $cb = query_of($walk->{callback_url});
ok t_cmp($cb->{state}, $q->{state}, 'the callback carries the state back');
ok t_cmp($final->code, 302, 'callback: 302');
ok t_cmp($final->header('Location'), qr{^(?:https?://[^/]+)?/nexte/settings/\?connected=T0MOCK01$},
         'callback: redirects to the settings page with connected=T0MOCK01');

ok t_cmp(scalar($b->cookie_jar->as_string =~ /nxs_oauth=[^;"]/), '', 'the nxs_oauth cookie is dropped after the install');

my $calls = $mock->calls(method => 'oauth.v2.access');
ok t_cmp(scalar @$calls, 1, 'Slack received one oauth.v2.access');
my $call = $calls->[0] // {};
ok t_cmp($call->{headers}{Authorization} // '', 'Basic ' . encode_base64('1111.2222:mock-client-secret', ''),
         'oauth.v2.access: client authentication by HTTP Basic');
ok t_cmp($call->{body}{redirect_uri}, $callback, 'oauth.v2.access: the same redirect_uri');
ok t_cmp($call->{body}{code}, $cb->{code}, 'oauth.v2.access: the code Slack gave');
ok t_cmp($call->{body}{client_secret}, undef, 'oauth.v2.access: the secret is not in the body');
ok t_cmp($call->{response}{ok} ? 1 : 0, 1, 'Slack accepted the exchange');

my $cfg = json(api($b, GET => 'config'));
ok t_cmp(scalar @{ $cfg->{workspaces} // [] }, 1, 'config: one workspace');
my $w = $cfg->{workspaces}[0] // {};
ok t_cmp($w->{team_id}, 'T0MOCK01', 'config: workspace T0MOCK01');
ok t_cmp($w->{active} ? 1 : 0, 1, 'config: T0MOCK01 is active');
ok t_cmp("$w->{team_name}|$w->{bot_user_id}", 'Mock Agency|U0MOCKBOT', 'config: team name and bot user');
ok t_cmp($w->{scopes}, 'chat:write,chat:write.public,channels:read', 'config: granted scopes');
ok t_cmp($cfg->{connection}{state}, 'connected', 'config: connection state connected');
my ($tok1) = map { $_->{token} } grep { $_->{source} eq 'oauth' } @{ $mock->tokens(team => 'T0MOCK01') };
my $ws_text = api($b, GET => 'workspaces')->content . api($b, GET => 'config')->content;
ok t_cmp(index($ws_text, $tok1 // 'no token issued'), -1, 'the token is never returned by the API');

# --- reused state: the same callback URL again
$res = $b->get($walk->{callback_url});
ok t_cmp($res->code, 400, 'reused state: 400');
ok t_cmp(is_page($res), 1, 'reused state: a page with a link back to the settings');
ok t_cmp(calls_of('oauth.v2.access'), 1, 'reused state: the code is not exchanged again');

# --- cancel in Slack
my $C = 'acc_oauth_2';
my ($c) = launch($C);
($res, $walk) = install($c, decision => {decision => 'deny'});
ok t_cmp(query_of($walk->{callback_url})->{error}, 'access_denied', 'cancel: Slack sends error=access_denied');
ok t_cmp(is_page($res), 1, 'cancel: a page with a link back to the settings');
ok t_cmp($res->content, qr/cancel/i, 'cancel: the page says the install was cancelled');
ok t_cmp($res->content,
         qr{<form method="post" action="/nexte/oauth/start"><input type="hidden" name="csrf_token" value="\Q$c->{csrf}\E"><button type="submit">Try again</button></form>},
         'cancel: "Try again" posts the session\'s CSRF token to /start');
{
    my $w = start_install($c);
    ok t_cmp($w->{start}->code, 302, 'Try again: the form starts a new install');
}
my $nobody = browser();
$res = $nobody->get($walk->{callback_url});
ok t_cmp($res->content =~ /Try again/ ? 1 : 0, 0, 'an error page without a settings session has no Try again');
ok t_cmp(calls_of('oauth.v2.access'), 1, 'cancel: no code exchange');
$cfg = json(api($c, GET => 'config'));
ok t_cmp(scalar @{ $cfg->{workspaces} }, 0, 'cancel: nothing stored');
ok t_cmp($cfg->{connection}{state}, 'not_connected', 'cancel: still not_connected');

# --- callback without the nxs_oauth cookie (another browser)
$walk = start_install($c);
my $fresh = browser();
$res = $fresh->get($walk->{callback_url});
ok t_cmp($res->code, 400, 'callback without the nxs_oauth cookie: refused (400)');
ok t_cmp(is_page($res), 1, 'missing cookie: a page with a link back');
ok t_cmp(calls_of('oauth.v2.access'), 1, 'missing cookie: no code exchange');
my ($fresh2) = launch($C);    # same account, another browser with its own session
$res = $fresh2->get($walk->{callback_url});
ok t_cmp($res->code, 400, 'callback with another browser\'s session but not its nxs_oauth cookie: refused');
$res = $c->get($walk->{callback_url});
ok t_cmp($res->code, 400, 'a state refused once is spent, even for its own browser');
ok t_cmp(scalar @{ json(api($c, GET => 'workspaces'))->{workspaces} }, 0, 'missing cookie: nothing stored');

# --- unknown state
$walk = start_install($c);    # the browser holds a genuine nxs_oauth cookie
$res = $c->get($c->url('/nexte/oauth/callback?code=123.456.abc&state=' . ('z' x 43)));
ok t_cmp($res->code, 400, 'unknown state: refused (400)');
ok t_cmp(is_page($res), 1, 'unknown state: a page with a link back');
$res = $c->get($c->url('/nexte/oauth/callback?code=123.456.abc'));
ok t_cmp($res->code, 400, 'callback without state: 400');
ok t_cmp(calls_of('oauth.v2.access'), 1, 'bad states: no code exchange');

# --- Slack answers ok:false
$mock->mode(mode => 'slack_error', error => 'invalid_code', method => 'oauth.v2.access', count => 1);
$res = install($c);
ok t_cmp($res->code, 502, 'Slack ok:false: 502');
ok t_cmp(is_page($res), 1, 'Slack ok:false: a clear page with a link back, no raw JSON');
ok t_cmp($res->content, qr/invalid_code/, 'Slack ok:false: the page names Slack\'s error');
ok t_cmp(scalar @{ json(api($c, GET => 'workspaces'))->{workspaces} }, 0, 'Slack ok:false: nothing stored');

# --- Slack unreachable
$walk = start_install($c);
$mock->mode(mode => 'outage');
$res = $c->get($walk->{callback_url} // '/');
$mock->normal;
ok t_cmp($res->code, 502, 'Slack unreachable: 502');
ok t_cmp(is_page($res), 1, 'Slack unreachable: a clear page with a link back');
ok t_cmp($res->content, qr/reach|answer/i, 'Slack unreachable: the page says Slack did not answer');
ok t_cmp(scalar @{ json(api($c, GET => 'workspaces'))->{workspaces} }, 0, 'Slack unreachable: nothing stored');

# --- several workspaces
$res = install($b, team => 'T0MOCK02');
ok t_cmp($res->header('Location'), qr{\?connected=T0MOCK02$}, 'second install: connected=T0MOCK02');
my $ws = json(api($b, GET => 'workspaces'))->{workspaces};
ok t_cmp(join(',', sort map { $_->{team_id} } @$ws), 'T0MOCK01,T0MOCK02', 'two workspaces linked');
ok t_cmp(scalar(grep { $_->{active} } @$ws), 1, 'exactly one is active');
ok t_cmp(active_team($ws), 'T0MOCK02', 'the last installed is active');

$res = api($b, PUT => 'workspaces/active', {team_id => 'T0MOCK01'});
ok t_cmp($res->code, 200, 'PUT workspaces/active: 200');
ok t_cmp(active_team(json($res)->{workspaces}), 'T0MOCK01', 'T0MOCK01 is now active');
$res = api($b, PUT => 'workspaces/active', {team_id => 'T0NOPE99'});
ok t_cmp($res->code, 404, 'unknown team: 404');
ok t_cmp(error_of($res), 'unknown_workspace', 'unknown team: unknown_workspace');
ok t_cmp(active_team(json(api($b, GET => 'workspaces'))->{workspaces}), 'T0MOCK01', 'unknown team: active unchanged');

# --- re-install replaces the token
my $seq = $mock->last_seq;
api($b, GET => 'channels');
my ($list) = @{ $mock->calls(method => 'conversations.list', since => $seq) };
ok t_cmp($list->{token} // '', $tok1, 'the API uses the installed token');
api($b, PUT => 'workspaces/active', {team_id => 'T0MOCK02'});
my $ch2 = json(api($b, GET => 'channels')) // {};
ok t_cmp(($ch2->{team_id} // '') . ' ' . join(',', sort map { $_->{id} } @{ $ch2->{channels} // [] }),
         'T0MOCK02 C2ALERTS,C2GENERAL,C2PAYMENTS', 'channels follow the active workspace (T0MOCK02)');
$res = install($b);    # T0MOCK01 again
ok t_cmp($res->header('Location'), qr{\?connected=T0MOCK01$}, 're-install of T0MOCK01 succeeds');
$ws = json(api($b, GET => 'workspaces'))->{workspaces};
ok t_cmp(scalar @$ws, 2, 're-install: still two workspaces');
ok t_cmp(active_team($ws), 'T0MOCK01', 're-install: T0MOCK01 active again');
my @t01 = map { $_->{token} } grep { $_->{source} eq 'oauth' } @{ $mock->tokens(team => 'T0MOCK01') };
my $tok2 = $t01[-1] // '';
ok t_cmp(scalar(@t01) == 2 && $tok2 ne $tok1 ? 1 : 0, 1, 'the mock issued a new token');
$seq = $mock->last_seq;
api($b, POST => 'confirm');    # nothing mapped: no post, but channels needs the token
api($b, GET => 'channels');
($list) = @{ $mock->calls(method => 'conversations.list', since => $seq) };
ok t_cmp($list->{headers}{Authorization} // '', "Bearer $tok2", 'the next call uses the new token');
