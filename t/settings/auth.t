# Who may call the settings API (README "JSON API"): the browser with its session
# cookie (plus X-CSRF-Token on writes) or Nexte core with a v1 signature that covers
# method, path, account and body. Every request is scoped to one account.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use MIME::Base64 qw(encode_base64url);
use NxsClient qw(:all);

plan tests => 53, need_lwp;

my $A = 'acc_auth_a';
my $B = 'acc_auth_b';
my $CONFIG = api_path() . 'config';

sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') : '(not one JSON object)' }

# --- session cookie
my $anon = browser();
my $res = api($anon, GET => 'config');
ok t_cmp($res->code, 401, 'no cookie: 401');
ok t_cmp(error_of($res), 'not_authenticated', 'no cookie: not_authenticated');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'errors are JSON');

$res = request($anon, GET => 'config', headers => {Cookie => 'nxs_session=garbage'});
ok t_cmp($res->code, 401, 'garbage cookie: 401');
ok t_cmp(error_of($res), 'malformed_session', 'garbage cookie: malformed_session');

my ($a1, $csrf_a1) = launch($A);
my $jar = $a1->cookie_jar->as_string;
my ($cookie) = $jar =~ /nxs_session=([^;"]+)/;
(my $forged = $cookie) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
$res = request($anon, GET => 'config', headers => {Cookie => "nxs_session=$forged"});
ok t_cmp($res->code, 401, 'cookie with a changed payload: 401');
ok t_cmp(error_of($res), 'bad_signature', 'cookie with a changed payload: bad_signature');

# White box: a session cookie made as the module makes them (HKDF-SHA256 of the event
# secret, "account|expiry|nonce" in base64url, then "." and its HMAC), to reach the
# expiry check. The first cookie, still valid, shows that the forgery is faithful.
sub session_cookie {
    my ($account, $expiry) = @_;
    my $prk = hmac_sha256(secret(), 'mod_nexte_slack/hkdf/v1');
    my $key = substr(hmac_sha256("session\x01", $prk), 0, 32);
    my $b64 = encode_base64url("$account|$expiry|" . join('', map { chr int rand 256 } 1 .. 16));
    return "nxs_session=$b64." . hmac_sha256_hex($b64, $key);
}
$res = request($anon, GET => 'config', headers => {Cookie => session_cookie($A, time + 600)});
ok t_cmp($res->code, 200, 'a cookie made like the module\'s, unexpired: accepted (white box)');
$res = request($anon, GET => 'config', headers => {Cookie => session_cookie($A, time - 1)});
ok t_cmp($res->code . ' ' . error_of($res), '401 expired_session', 'expired session: 401 expired_session');

$res = api($a1, GET => 'config');
ok t_cmp($res->code, 200, 'session: GET config 200');
ok t_cmp(json($res)->{account}{id}, $A, 'session: config is the session account\'s');

# --- CSRF
my $mapping = {channel_id => 'C0PAYMENTS'};
$res = api($a1, PUT => 'categories/payments', $mapping, '');
ok t_cmp($res->code, 403, 'session, PUT without X-CSRF-Token: 403');
ok t_cmp(error_of($res), 'csrf_failed', 'session, PUT without X-CSRF-Token: csrf_failed');
$res = api($a1, DELETE => 'categories/payments', undef, '');
ok t_cmp($res->code, 403, 'session, DELETE without X-CSRF-Token: 403');
$res = api($a1, POST => 'disconnect', undef, '');
ok t_cmp($res->code, 403, 'session, POST without X-CSRF-Token: 403');

my ($a2, $csrf_a2) = launch($A);    # a second session of the same account
ok t_cmp($csrf_a2 ne $csrf_a1 ? 1 : 0, 1, 'each session has its own CSRF token');
$res = api($a1, PUT => 'categories/payments', $mapping, $csrf_a2);
ok t_cmp($res->code, 403, 'CSRF token of another session: 403');
ok t_cmp(error_of($res), 'csrf_failed', 'CSRF token of another session: csrf_failed');
$res = api($a1, PUT => 'categories/payments', $mapping, 'f' x 64);
ok t_cmp($res->code, 403, 'made-up CSRF token: 403');

my $cfg = json(api($a1, GET => 'config'));
ok t_cmp($cfg->{categories}{payments}{channel_id}, undef, 'refused writes changed nothing');

$res = api($a1, PUT => 'categories/payments', $mapping);
ok t_cmp($res->code, 200, 'session with its CSRF token: PUT accepted');
ok t_cmp(json($res)->{categories}{payments}{channel_id}, 'C0PAYMENTS', 'the mapping is stored');

# --- signed requests (Nexte core)
$res = signed($A, GET => $CONFIG);
ok t_cmp($res->code, 200, 'signed GET config: 200');
ok t_cmp(json($res)->{categories}{payments}{channel_id}, 'C0PAYMENTS', 'signed GET sees the account\'s settings');
$res = signed($A, PUT => api_path() . 'categories/quotes', {channel_id => 'C0QUOTES'});
ok t_cmp($res->code, 200, 'signed PUT (no CSRF needed): 200');
ok t_cmp(json($res)->{categories}{quotes}{channel_id}, 'C0QUOTES', 'signed PUT is stored');
$res = signed($A, GET => api_path() . 'session');
ok t_cmp($res->code, 404, 'api/session is for browser sessions only');

$res = signed($A, GET => $CONFIG, undef, secret => 'another-secret-of-32-bytes-000000');
ok t_cmp($res->code, 401, 'signed with the wrong secret: 401');
ok t_cmp(error_of($res), 'bad_signature', 'signed with the wrong secret: bad_signature');

$res = signed($A, GET => $CONFIG, undef, ts => time - 400);
ok t_cmp($res->code, 401, 'timestamp 400 s old: 401');
ok t_cmp(error_of($res), 'stale_timestamp', 'timestamp 400 s old: stale_timestamp');

$res = signed($A, GET => $CONFIG, undef, ts => time + 400);
ok t_cmp($res->code . ' ' . error_of($res), '401 stale_timestamp', 'timestamp 400 s ahead: 401 stale_timestamp');
$res = signed($A, GET => "$CONFIG?view=full");
ok t_cmp($res->code, 200, 'signed request with a query string (query signed): 200');
$res = request($anon, GET => "$CONFIG?view=full", headers => {sign_headers($A, GET => $CONFIG, '')});
ok t_cmp($res->code, 401, 'signature without the query replayed with a query: 401');
$res = request($anon, GET => $CONFIG,
               headers => {sign_headers($A, GET => $CONFIG, ''), 'X-Nexte-Signature' => 'sha256=' . ('0' x 64)});
ok t_cmp($res->code . ' ' . error_of($res), '401 malformed_signature', 'signature without v1=: 401 malformed_signature');

my %h = sign_headers($A, GET => $CONFIG, '');
$res = request($anon, GET => $CONFIG, headers => {%h, 'X-Nexte-Account' => $B});
ok t_cmp($res->code, 401, 'signature replayed with another X-Nexte-Account: 401');
ok t_cmp(error_of($res), 'bad_signature', 'signature replayed with another account: bad_signature');
$res = request($anon, GET => api_path() . 'workspaces', headers => \%h);
ok t_cmp($res->code, 401, 'signature replayed on another path: 401');
%h = sign_headers($A, PUT => api_path() . 'categories/alerts', '{"channel_id":"C0ALERTS"}');
$res = request($anon, PUT => api_path() . 'categories/alerts',
               headers => {%h, 'Content-Type' => 'application/json'}, content => '{"channel_id":"C0GENERAL"}');
ok t_cmp($res->code, 401, 'signature replayed with another body: 401');
$res = request($anon, DELETE => api_path() . 'categories/alerts', headers => \%h);
ok t_cmp($res->code, 401, 'signature replayed with another method: 401');
$res = request($anon, GET => $CONFIG, headers => {sign_headers('', GET => $CONFIG, '')});
ok t_cmp(error_of($res), 'missing_account', 'signed request without X-Nexte-Account: missing_account');

# A signed change is accepted once: the same request sent again is refused and changes nothing.
%h = sign_headers($A, PUT => api_path() . 'categories/booking', '{"channel_id":"C0BOOKING"}');
my %put = (headers => {%h, 'Content-Type' => 'application/json'}, content => '{"channel_id":"C0BOOKING"}');
$res = request($anon, PUT => api_path() . 'categories/booking', %put);
ok t_cmp($res->code, 200, 'a signed PUT: 200');
signed($A, DELETE => api_path() . 'categories/booking');
$res = request($anon, PUT => api_path() . 'categories/booking', %put);
ok t_cmp($res->code . ' ' . error_of($res), '409 replayed_request', 'the same signed PUT again: 409 replayed_request');
ok t_cmp(json(signed($A, GET => $CONFIG))->{categories}{booking}{channel_id}, undef, 'the replay changed nothing');
%h = sign_headers($A, GET => $CONFIG, '');
ok t_cmp(request($anon, GET => $CONFIG, headers => \%h)->code . ' ' . request($anon, GET => $CONFIG, headers => \%h)->code,
         '200 200', 'a signed read may be sent again (it changes nothing)');

# --- cross-account isolation
my ($b1) = launch($B);
$cfg = json(api($b1, GET => 'config'));
ok t_cmp($cfg->{account}{id}, $B, 'B\'s session reads B\'s config');
my @mapped = grep { defined $cfg->{categories}{$_}{channel_id} } keys %{ $cfg->{categories} // {} };
ok t_cmp(scalar @mapped, 0, 'B sees none of A\'s channels');
ok t_cmp(scalar(() = api($b1, GET => 'config')->content =~ /C0PAYMENTS|C0QUOTES|\Q$A\E/g), 0,
         'nothing of A anywhere in B\'s config');
$res = api($b1, PUT => 'categories/payments', {channel_id => 'C0GENERAL', mention => 'channel'});
ok t_cmp($res->code, 200, 'B maps its own payments category');
api($b1, DELETE => 'categories/quotes');
core_account($B, {plan => 'agency', locale => 'fr'});
# B's session with A named in the header: the session's account wins, or it is refused.
$res = request($b1, PUT => 'categories/alerts',
               headers => {'X-Nexte-Account' => $A, 'X-CSRF-Token' => $b1->{csrf}, 'Content-Type' => 'application/json'},
               content => '{"channel_id":"C0ALERTS"}');
$cfg = json(signed($A, GET => $CONFIG));
ok t_cmp($cfg->{categories}{payments}{channel_id}, 'C0PAYMENTS', 'A\'s payments mapping unchanged by B');
ok t_cmp($cfg->{categories}{quotes}{channel_id}, 'C0QUOTES', 'A\'s quotes mapping survived B\'s DELETE');
ok t_cmp($cfg->{categories}{alerts}{channel_id}, undef, 'an X-Nexte-Account header does not move a session to A');
ok t_cmp("$cfg->{account}{plan}/$cfg->{account}{locale}/$cfg->{categories}{payments}{mention}", 'solo/en/none',
         'A\'s plan, locale and mention unchanged by B');
