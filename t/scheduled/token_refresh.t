# The token refresh chore (docs/SCHEDULED.md "How the daemon drives it", 3. Chores; README
# "Scheduled messages" and "Add to Slack (OAuth v2)": with token rotation a token is refreshed when
# 2 hours or less remain; issue #12: "token refresh ahead of expiry") on a server of its own under
# libfaketime (t/lib/NxsFaketime.pm), with no event at all: three workspaces are installed, one
# with a rotating token that expires within the 2 h margin, one without rotation, one with a
# rotating token 12 h from its end. The chores thread lists the expiring tokens at most every
# 300 s (its first round after the clock reaches T0 lists them at once, before the installs): a
# round within those 300 s leaves the expiring token alone; the next look refreshes it once (one
# grant_type=refresh_token at Slack, with the install's refresh token, none for the other two);
# the new expiry is stored (read from the SQLite file: the workspace API shows rotation, not the
# expiry), the status counts chores.token_refresh.done = 1 (JSON and Prometheus); a look 5
# minutes later does nothing (the new token has 3 h left; the old expiry's claim is done); a look
# just over 2 h before the new expiry does nothing either, the next one refreshes once more, with
# the refresh token kept from the first refresh. Then an event for that account is delivered with
# the newest token, the installed one being refused by Slack by then. Slack's clock (the mock) is
# not moved: its token expiry is real time, so the install token is expired at the mock by hand.
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use HTTP::Tiny;
use JSON::PP ();
use POSIX qw(floor);
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use NxsClient qw(browser launch_url api_path install api signed);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 34, need_lwp;
binmode STDOUT, ':utf8';

my $srv = NxsFaketime->start('token_refresh');
local $NxsClient::BASE = $srv->url;

my $mock = mock();
my $TEAM = 'T0MOCK01';
my $CH = 'C0SCHEDTK';
$mock->channel(id => $CH, team => $TEAM, name => 'sched-tokens');
# The mock's rotation setting is global: put its default back whatever happens.
END { eval { $mock->seed(token_rotation => {enabled => JSON::PP::false, expires_in => 43200}) } if $mock }

my ($EXP, $PLAIN, $FAR) = ("acc_sch_tkx_$$", "acc_sch_tkp_$$", "acc_sch_tkf_$$");

# --- helpers

# Rows of a query on this server's SQLite file (read beside the server, WAL mode).
my $PY = <<'PY';
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
print(json.dumps(c.execute(sys.argv[2], sys.argv[3:]).fetchall()))
PY
sub sql ($query, @args) {
    open my $fh, '-|', 'python3', '-c', $PY, $srv->dir . '/nexte.sqlite', $query, @args or die "python3: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    return JSON::PP::decode_json($out // '[]');
}
sub expires_at ($acc) {
    my $r = sql('SELECT token_expires_at FROM nxs_workspaces WHERE account_id = ?', $acc);
    return @$r ? $r->[0][0] // 0 : undef;
}

# The chores thread's rounds in the error log, as the "next look" each announced.
sub next_looks () {
    map { /NXS0006[01]: .*next look at (\S+?)(?:\.\d+)?Z/ ? $1 : () } $srv->log_lines(qr/NXS0006[01]: /);
}
# Moves the clock to AT (or just past the thread's next round, if later) and waits until a round
# at that time ran, and with it the token look that follows each round.
sub look_at ($at) {
    my @looks = next_looks();
    my $last = @looks ? $looks[-1] : '';
    my $next = $last ? do { my ($y, $m, $d, $H, $M, $S) = $last =~ /(\d+)/g; timegm($S, $M, $H, $d, $m - 1, $y) } : 0;
    $at = $next + 1 if $next + 1 > $at;
    $srv->advance_to($at);
    my $want = substr($srv->iso($at), 0, 19);
    my $ok = wait_until(10, sub { grep { $_ gt $want } next_looks() });
    sleep 1;    # the token look runs right after the round's line
    return $ok ? $at : 0;
}

# Refresh grants at Slack since SEQ: the refresh tokens presented.
sub grants ($seq) {
    [map { $_->{body}{refresh_token} // '?' }
     grep { ($_->{body}{grant_type} // '') eq 'refresh_token' }
     @{ $mock->calls(method => 'oauth.v2.access', since => $seq) }]
}
sub tokens_now () { return +{map { ($_->{token} => $_) } @{ $mock->tokens(team => $TEAM) }} }
sub new_token ($before) { my $now = tokens_now(); my ($t) = grep { !$before->{$_} } keys %$now; $t ? $now->{$t} : {} }

# A settings session opened with a launch link valid on this server's clock.
sub launch_now ($acc) {
    my $b = browser();
    my $res = $b->get($b->url(launch_url($acc, floor($srv->now) + 300)));
    die "launch $acc: " . $res->status_line unless $res->code == 302;
    my $s = json($b->get($b->url(api_path() . 'session'))) // {};
    @$b{qw(account csrf)} = @$s{qw(account csrf_token)};
    return $b;
}
sub install_with ($acc, $rotation) {
    $mock->seed(token_rotation => $rotation);
    my $before = tokens_now();
    my $b = launch_now($acc);
    my $res = install($b, mock => $mock);
    die "install $acc: " . $res->status_line unless ($res->header('Location') // '') =~ /connected=$TEAM/;
    return ($b, new_token($before));
}

# The Prometheus sample of the token refresh runs that are done (or '' when absent).
sub prom_done () { prometheus() =~ /^(nexte_slack_chore_runs_today\{chore="token_refresh",state="done"\} .*)$/m ? $1 : '' }

sub chores () { ((status_json() // {})->{scheduled} // {})->{chores} // {} }
sub refresh_counts () { my $c = chores()->{token_refresh} // {}; join ',', map { "$_=$c->{$_}" } sort keys %$c }

# --- T0: the next 10:00 UTC at least 10 minutes ahead (so that "today" in the status holds the
# whole test, and the thread's last token look, at its start, is over 300 s before T0).
my $T0 = do { my $n = floor($srv->now); my $d = $n - $n % 86400 + 10 * 3600; $d > $n + 600 ? $d : $d + 86400 };
ok t_cmp(look_at($T0), $T0, 'a round at T0: its token look finds nothing (no workspace yet)');

# --- the three installs, right after that look
my ($bx, $tok0) = install_with($EXP, {enabled => JSON::PP::true, expires_in => 3600});
my (undef, $plain) = install_with($PLAIN, {enabled => JSON::PP::false});
my (undef, $far) = install_with($FAR, {enabled => JSON::PP::true, expires_in => 43200});
ok t_cmp(join(' ', map { $_->{refresh_token} ? 'rotating' : 'plain' } $tok0, $plain, $far),
         'rotating plain rotating', 'installed: rotating (1 h), without rotation, rotating (12 h)');
my $res = api($bx, PUT => 'categories/payments', {channel_id => $CH});
ok t_cmp($res->code, 200, 'the expiring workspace\'s payments go to ' . $CH);
my $E0 = expires_at($EXP);
ok t_cmp(($E0 // 0) - $T0 >= 3590 && ($E0 // 0) - $T0 <= 3660 ? 'within the margin' : "expires at T0 + " . (($E0 // 0) - $T0),
         'within the margin', 'stored: the rotating token expires 1 h after the install, within the 2 h margin');
ok t_cmp(join(',', expires_at($PLAIN) // 'none', (expires_at($FAR) // 0) - $T0 > 43000 ? 'far' : 'near'), '0,far',
         'stored: no expiry without rotation, 12 h for the other');

# Refreshed tokens live 3 h (beyond the margin when issued).
$mock->seed(token_rotation => {enabled => JSON::PP::true, expires_in => 10800});
my $seq = $mock->last_seq;

# --- a round 290 s after the last look: the tokens are not listed again yet
ok t_cmp(look_at($T0 + 290) ? scalar @{ grants($seq) } : 'no round', 0,
         'T0 + 290 s: a round, but no token look within 300 s of the last: no refresh');
ok t_cmp(refresh_counts(), '', 'status: no token_refresh run yet');

# --- the next look refreshes the expiring token, once
my $before = tokens_now();
my $t1 = look_at($T0 + 360);
$mock->wait_for_calls(method => 'oauth.v2.access', since => $seq, count => 1);
sleep 1;
my $got = grants($seq);
ok t_cmp(scalar @$got, 1, 'the next token look: exactly one refresh grant at Slack');
ok t_cmp($got->[0] // '', $tok0->{refresh_token}, 'with the expiring workspace\'s refresh token (none for the others)');
my $tok1 = new_token($before);
ok t_cmp($tok1->{source} // '', 'refresh', 'Slack issued a new token');
my $E1 = wait_until(5, sub { my $e = expires_at($EXP); $e != $E0 ? $e : 0 });
ok t_cmp(($E1 // 0) - $t1 >= 10790 && ($E1 // 0) - $t1 <= 10830 ? 'new expiry' : "E1 - look = " . (($E1 // 0) - $t1),
         'new expiry', 'stored: the new token expires 3 h after the look');
ok t_cmp(join(',', expires_at($PLAIN), expires_at($FAR) - $T0 > 43000 ? 'unchanged' : 'changed'), '0,unchanged',
         'the other two workspaces are untouched');
my $ws = (json(signed($EXP, GET => '/nexte/settings/api/workspaces', undef, ts => floor($srv->now))) // {})->{workspaces} // [];
ok t_cmp(join(',', map { "$_->{team_id}:" . ($_->{token_rotation} ? 'rotation' : 'plain') . ($_->{needs_reconnect} ? ':reconnect' : '') } @$ws),
         "$TEAM:rotation", 'the workspace API: still connected, with rotation, no reconnect needed');
my $runs = sql("SELECT slot, state FROM nxs_chore_runs WHERE chore = 'token_refresh' ORDER BY claimed_at");
ok t_cmp(join(' ', map { "$_->[0]=$_->[1]" } @$runs), "$EXP/$TEAM/$E0=done",
         'one claim, slot account/team/old expiry, done');
ok t_cmp(refresh_counts(), 'done=1', 'status: scheduled.chores.token_refresh.done = 1');
ok t_cmp(prom_done(), 'nexte_slack_chore_runs_today{chore="token_refresh",state="done"} 1', 'Prometheus: the same');
my @logged = $srv->log_lines(qr/NXS00057: token refresh of /);
ok t_cmp(join('', @logged), qr/NXS00057: token refresh of \Q$EXP\E\/$TEAM: done/, 'logged (NXS00057)');
ok t_cmp(scalar(@logged), 1, 'one refresh logged');

# --- 5 minutes later: the next look lists nothing (3 h left), no second refresh
$seq = $mock->last_seq;
ok t_cmp(look_at($t1 + 305) ? scalar @{ grants($seq) } : 'no round', 0, 'a look 5 min after the refresh: no second refresh');
ok t_cmp(refresh_counts(), 'done=1', 'status: still token_refresh.done = 1');

# --- near the new expiry: 2 h 1 min before it nothing, the next look (5 min later) refreshes
my $near = look_at($E1 - 7260);
ok t_cmp($near ? scalar @{ grants($seq) } : 'no round', 0, 'a look 2 h 1 min before the new expiry: nothing yet');
$before = tokens_now();
my $t2 = look_at($near + 310);
$mock->wait_for_calls(method => 'oauth.v2.access', since => $seq, count => 1);
sleep 1;
$got = grants($seq);
ok t_cmp(join(',', map { $_ eq ($tok1->{refresh_token} // 'x') ? 'kept' : 'other' } @$got), 'kept',
         'the next look (1 h 56 min before it): one refresh, with the refresh token kept from the first');
my $tok2 = new_token($before);
my $E2 = wait_until(5, sub { my $e = expires_at($EXP); $e != $E1 ? $e : 0 });
ok t_cmp(($E2 // 0) - $t2 >= 10790 && ($E2 // 0) - $t2 <= 10830 ? 'new expiry' : "E2 - look = " . (($E2 // 0) - $t2),
         'new expiry', 'stored: 3 h from this refresh');
$runs = sql("SELECT slot, state FROM nxs_chore_runs WHERE chore = 'token_refresh' ORDER BY claimed_at");
ok t_cmp(join(' ', map { "$_->[0]=$_->[1]" } @$runs), "$EXP/$TEAM/$E0=done $EXP/$TEAM/$E1=done",
         'a second claim, for the new expiry\'s slot');
ok t_cmp(refresh_counts(), 'done=2', 'status: token_refresh.done = 2');
ok t_cmp(prom_done(), 'nexte_slack_chore_runs_today{chore="token_refresh",state="done"} 2', 'Prometheus: the same');

# --- an event for that account: delivered with the newest token, the installed one being past
# its end by the server's clock (expired at the mock, whose clock was not moved, by hand).
$mock->token(action => 'expire', token => $tok0->{token});
my $probe = HTTP::Tiny->new(timeout => 10)->post_form($mock->api_base . '/auth.test', {token => $tok0->{token}});
ok t_cmp((eval { JSON::PP::decode_json($probe->{content}) } // {})->{error} // '', 'token_expired',
         'Slack now refuses the installed token (token_expired)');
$seq = $mock->last_seq;
my $ev = event('invoice.paid', account_id => $EXP, marker => 'tk1', occurred_at => $srv->iso($srv->now - 30));
$res = post_event($ev, ts => floor($srv->now));
ok t_cmp($res->code, 202, 'an invoice.paid event is accepted');
my $msgs = wait_messages(channel => $CH, count => 1);
ok t_cmp(join(',', map { marker_of($_) // '?' } @$msgs), 'tk1', 'it is posted in ' . $CH);
my @posts = grep { ($_->{state} // '') ne 'pending' } @{ $mock->calls(method => 'chat.postMessage', since => $seq) };
ok t_cmp(join(',', map { (($_->{token} // '') eq ($tok2->{token} // 'x') ? 'newest' : ($_->{token} // '') eq $tok1->{token} ? 'previous' : 'old')
                         . ':' . ($_->{response}{ok} ? 'ok' : $_->{response}{error} // '?') } @posts),
         'newest:ok', 'with the newest token, accepted at the first try');
ok t_cmp(scalar @{ grants($seq) }, 0, 'no refresh on use (3 h left)');

# --- overall: two refreshes, both of the expiring workspace; none of the others
@logged = $srv->log_lines(qr/NXS00057: token refresh of /);
ok t_cmp(scalar(grep { /\Q$EXP\E\/$TEAM: done/ } @logged) . ' of ' . scalar(@logged), '2 of 2',
         'two refreshes logged, both of the expiring workspace');
ok t_cmp(scalar(grep { ($_->{refresh_token} // '') eq ($far->{refresh_token} // 'x') }
                map { $_->{body} // {} } @{ $mock->calls(method => 'oauth.v2.access') }), 0,
         'the 12 h workspace\'s refresh token was never presented');
ok t_cmp(scalar $srv->log_lines(qr/NXS0004[3-6]|NXS00057: .*failed/), 0, 'no refresh refused or failed');

$srv->stop;
