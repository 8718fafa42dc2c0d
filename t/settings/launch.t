# Launch link → browser session (README "Launch link → browser session"): a valid link
# sets the nxs_session cookie and redirects; each link works once; expired, too long-lived, forged,
# tampered or incomplete links end on a 403 page that says why; the settings page
# needs the session.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use NxsClient qw(:all);

plan tests => 45, need_lwp;

my $acc = 'acc_launch_1';

# A valid link.
my $b = browser();
my $url = launch_url($acc, unique_exp());
my $res = $b->get($b->url($url));
ok t_cmp($res->code, 302, 'valid link: 302');
ok t_cmp($res->header('Location'), qr{^(?:https?://[^/]+)?/nexte/settings/$}, 'valid link: redirects to /nexte/settings/');
my ($cookie) = grep { /^nxs_session=/ } $res->header('Set-Cookie');
ok t_cmp($cookie // '', qr/^nxs_session=[^;]+/, 'valid link: sets the nxs_session cookie');
ok t_cmp($cookie // '', qr/;\s*HttpOnly\b/i, 'session cookie is HttpOnly');
ok t_cmp($cookie // '', qr/;\s*SameSite=Lax\b/i, 'session cookie is SameSite=Lax');
ok t_cmp($cookie // '', qr{;\s*Path=/(?:;|$)}, 'session cookie has Path=/');
ok t_cmp(scalar(($cookie // '') =~ /;\s*Secure\b/i), '', 'no Secure flag on an http:// public URL');
ok t_cmp($cookie // '', qr/;\s*Max-Age=43200\b/i, 'session cookie lives 12 hours');

# The session works.
$res = $b->get($b->url('/nexte/settings/'));
ok t_cmp($res->code, 200, 'GET /nexte/settings/ with the session: 200');
ok t_cmp($res->header('Content-Type'), qr{^text/html}, 'the settings page is HTML');
ok t_cmp($res->content, qr/\Q$acc\E/, 'the page shows the signed-in account');
my $s = json($b->get($b->url('/nexte/settings/api/session')));
ok t_cmp($s->{account}, $acc, 'api/session names the account');
ok t_cmp($s->{csrf_token} // '', qr/^[0-9a-f]{64}$/, 'api/session gives a CSRF token');

# Replay of the same link.
my $b2 = browser();
$res = $b2->get($b2->url($url));
ok t_cmp($res->code, 403, 'replayed link: 403');
ok t_cmp($res->content, qr/link_already_used/, 'replayed link: page says link_already_used');
ok t_cmp(scalar(grep { /^nxs_session=/ } $res->header('Set-Cookie')), 0, 'replayed link: no session cookie');

# Expired link (signed correctly, exp in the past).
$res = $b2->get($b2->url(launch_url($acc, time - 5)));
ok t_cmp($res->code, 403, 'expired link: 403');
ok t_cmp($res->content, qr/expired_link/, 'expired link: page says expired_link');

# A genuine link valid for more than 15 minutes: refused like an expired one.
$res = $b2->get($b2->url(launch_url($acc, time + 3600)));
ok t_cmp($res->code, 403, 'link valid for an hour: 403');
ok t_cmp($res->content, qr/exp_too_far/, 'link valid for an hour: page says exp_too_far');
ok t_cmp(scalar(grep { /^nxs_session=/ } $res->header('Set-Cookie')), 0, 'link valid for an hour: no session cookie');

# Forged signature (signed with another secret).
$res = $b2->get($b2->url(launch_url($acc, unique_exp(), secret => 'not-the-event-secret-at-all')));
ok t_cmp($res->code, 403, 'forged signature: 403');
ok t_cmp($res->content, qr/bad_signature/, 'forged signature: page says bad_signature');

# Tampered account: a valid link for acc_launch_1 with the account changed.
my $exp = unique_exp();
(my $tampered = launch_url($acc, $exp)) =~ s/account=\Q$acc\E/account=acc_launch_evil/;
$res = $b2->get($b2->url($tampered));
ok t_cmp($res->code, 403, 'tampered account: 403');
ok t_cmp($res->content, qr/bad_signature/, 'tampered account: page says bad_signature');

# Missing parameters.
$res = $b2->get($b2->url("/nexte/settings/launch?account=$acc&exp=$exp"));
ok t_cmp($res->code, 403, 'missing sig: 403');
ok t_cmp($res->content, qr/malformed_link/, 'missing sig: page says malformed_link');
$res = $b2->get($b2->url('/nexte/settings/launch'));
ok t_cmp(($res->code == 403 && $res->content =~ /malformed_link/) ? 1 : 0, 1,
         'no parameters at all: 403 malformed_link');

my $long = 'a' x 65;
$res = $b2->get($b2->url(launch_url($long, $exp)));
ok t_cmp($res->code . ' ' . ($res->content =~ /malformed_link/ ? 'malformed_link' : ''), '403 malformed_link',
         'account id over 64 characters (signed): 403 malformed_link');
$res = $b2->get($b2->url(launch_url('acc/../x', $exp)));
ok t_cmp($res->code . ' ' . ($res->content =~ /malformed_link/ ? 'malformed_link' : ''), '403 malformed_link',
         'account id with / (signed): 403 malformed_link');

# Without a session.
$res = $b2->get($b2->url('/nexte/settings/'));
ok t_cmp($res->code, 401, 'GET /nexte/settings/ without a session: 401');

# The tampered link did not open a session for the other account either.
$res = $b2->get($b2->url('/nexte/settings/api/session'));
ok t_cmp($res->code, 401, 'no session was opened by any refused link');

# A browser with A's session opening B's link: asked first, nothing switched silently.
{
    my $A = 'acc_launch_switch_a';
    my $B = 'acc_launch_switch_b';
    my ($sa, $csrf_a) = launch($A);
    my $link_b = launch_url($B, unique_exp());
    $res = $sa->get($sa->url($link_b));
    ok t_cmp($res->code, 200, "A's browser opening B's link: 200, a question");
    ok t_cmp($res->content, qr/\Q$A\E.*\Q$B\E/s, 'the question names both accounts');
    ok t_cmp(scalar(grep { /nxs_session=/ } $res->header('Set-Cookie')), 0, 'no session cookie yet');
    ok t_cmp(json($sa->get($sa->url(api_path() . 'session')))->{account}, $A, 'the session is still A\'s');
    ok t_cmp($res->header('Content-Security-Policy') // '', qr/form-action 'self'/, 'the question has a strict CSP');
    my ($action) = $res->content =~ /<form method="post" action="([^"]+)"/;
    $action =~ s/&amp;/&/g if defined $action;
    ok t_cmp($action // '', qr{^/nexte/settings/launch\?account=\Q$B\E&exp=}, 'the switch posts the same link');
    $res = $sa->post($sa->url($action // $link_b), {});
    ok t_cmp($res->code, 403, 'a switch without A\'s CSRF token: 403');
    ok t_cmp(json($sa->get($sa->url(api_path() . 'session')))->{account}, $A, 'still A after the refused switch');
    $res = $sa->post($sa->url($action // $link_b), { csrf_token => $csrf_a });
    ok t_cmp($res->code, 302, "with A's CSRF token: 302, switched");
    ok t_cmp(json($sa->get($sa->url(api_path() . 'session')))->{account}, $B, 'the session is now B\'s');
    $res = $sa->post($sa->url($action // $link_b), { csrf_token => $csrf_a });
    ok t_cmp($res->code, 403, 'the link worked once (the question did not use it)');
    # Opening one's own account again is no question.
    my $again = $sa->get($sa->url(launch_url($B, unique_exp())));
    ok t_cmp($again->code, 302, "B's browser opening B's link: no question");
    my $plain = browser();
    ok t_cmp($plain->get($plain->url(launch_url($A, unique_exp())))->code, 302, 'a browser without a session: no question');
}
