# The events API (docs/CONTRACT.md "Events", README "Events: the ingest API"): every answer of the
# nexte-slack-events handler, each named after what it proves. Accounts acc_ing_*.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use Time::HiRes qw(time sleep);
use NxsClient qw(signed);
use NxsEvents qw(:all);

plan tests => 91, need_lwp;

my $mock = mock();
$mock->reset;

my ($A, $B, $NEVER) = ('acc_ing_1', 'acc_ing_2', 'acc_ing_never');
connect_account($A, categories => {payments => 'C0PAYMENTS', alerts => 'C0ALERTS', booking => 'C0BOOKING'});
connect_account($B, categories => {payments => 'C0QUOTES'});

sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') : '(not JSON: ' . $_[0]->content . ')' }
sub answer { my $j = json($_[0]) // {}; join ' ', $_[0]->code, map { "$_=" . ($j->{$_} // '-') } qw(status deliveries reason) }
sub posted_with {    # messages at the mock carrying MARKER, any channel
    my ($marker) = @_;
    return scalar grep { (marker_of($_) // '') eq $marker } @{ $mock->messages };
}

# ---------------------------------------------------------------- 202 queued, 1 delivery
my $ev = event('invoice.paid', account_id => $A, marker => 'ing-ok');
my $res = post_event($ev);
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', '202 queued: {"status":"queued","deliveries":1}');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, '202: a JSON answer');
my $msgs = wait_messages(channel => 'C0PAYMENTS', count => 1, timeout => 10);
ok t_cmp(join(',', @{ markers_of($msgs) }), 'ing-ok', '202 queued: the message reaches its channel at the mock');

# ---------------------------------------------------------------- 200 duplicate
$res = post_event($ev);
ok t_cmp($res->code, 200, 'same id again on the same account: 200');
ok t_cmp(json($res)->{status} // '', 'duplicate', 'same id again: {"status":"duplicate"}');
my %changed = %$ev;
$changed{amount} = {value => '9.99', currency => 'EUR'};
$res = post_event(\%changed);
ok t_cmp(($res->code) . ' ' . (json($res)->{status} // ''), '200 duplicate',
         'same id with another body: still a duplicate (the id is the idempotency key)');
# ---------------------------------------------------------------- same id, another account
my $evB = {%$ev, account_id => $B};
$res = post_event($evB);
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-',
         'the same event id on ANOTHER account is not a duplicate: 202 queued');
$msgs = wait_messages(channel => 'C0QUOTES', count => 1, timeout => 10);
ok t_cmp(join(',', @{ markers_of($msgs) }), 'ing-ok', 'the other account\'s message reaches its own channel');
sleep 1.5;
ok t_cmp(scalar @{ $mock->messages(channel => 'C0PAYMENTS') }, 1,
         'the duplicates posted nothing: one message in the first account\'s channel');

# ---------------------------------------------------------------- 202 with nothing to post
$res = post_event(event('invoice.paid', account_id => $NEVER, marker => 'ing-nc'));
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=not_connected',
         'an account that never connected: 202 deliveries 0, reason not_connected');
$res = post_event(event('lead.received', account_id => $A, marker => 'ing-unm'));
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=category_unmapped',
         'contacts not mapped: 202 deliveries 0, reason category_unmapped');

my $upd = event('account.updated', account_id => $A,
                data => {plan => 'agency', timezone => 'America/New_York', locale => 'fr', currency => 'CHF'});
$res = post_event($upd);
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=not_posted', 'account.updated: 202 deliveries 0, not_posted');
my $cfg = json(signed($A, GET => '/nexte/settings/api/config')) // {};
my $acct = $cfg->{account} // {};
ok t_cmp(join('|', map { $acct->{$_} // '-' } qw(plan timezone locale currency)), 'agency|America/New_York|fr|CHF',
         'account.updated applied plan, timezone, locale and currency (settings API config)');
$res = post_event(event('account.updated', account_id => $A, data => {timezone => 'Mars/Olympus_Mons'}));
ok t_cmp($res->code . ' ' . (json($res)->{field} // ''), '422 data.timezone',
         'account.updated with an unknown time zone: 422 naming data.timezone');
$res = post_event(event('account.updated', account_id => $A, data => {currency => 'EURO'}));
ok t_cmp($res->code . ' ' . (json($res)->{field} // ''), '422 data.currency', 'account.updated with a bad currency: 422 data.currency');
$cfg = json(signed($A, GET => '/nexte/settings/api/config')) // {};
ok t_cmp(($cfg->{account}{timezone} // '') . '|' . ($cfg->{account}{currency} // ''), 'America/New_York|CHF',
         'refused account.updated changed nothing');
# Out of order: an account.updated that occurred an hour before the applied one arrives late.
my $late_upd = event('account.updated', account_id => $A, data => {plan => 'solo', currency => 'USD'});
my @t = gmtime(time - 3600);
$late_upd->{occurred_at} = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
$res = post_event($late_upd);
ok t_cmp($res->code, 202, 'an older account.updated arriving late: 202 (accepted)');
$cfg = json(signed($A, GET => '/nexte/settings/api/config')) // {};
ok t_cmp(($cfg->{account}{plan} // '') . '|' . ($cfg->{account}{currency} // ''), 'agency|CHF',
         'the older account.updated did not undo the newer one');

$res = post_event(event('invoice.overdue', account_id => $A, marker => 'ing-od3', data => {days_overdue => 3}));
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=not_posted', 'invoice.overdue 3 days: 202 deliveries 0, not_posted');
$res = post_event(event('invoice.overdue', account_id => $A, marker => 'ing-od7', data => {days_overdue => 7}));
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=not_posted', 'invoice.overdue 7 days (not > 7): not_posted');
$res = post_event(event('invoice.overdue', account_id => $A, marker => 'ing-od8', data => {days_overdue => 8}));
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', 'invoice.overdue 8 days: posted (deliveries 1)');
$res = post_event(event('appointment.rescheduled', account_id => $A, marker => 'ing-resch'));
ok t_cmp(answer($res), '202 status=queued deliveries=0 reason=not_posted', 'appointment.rescheduled: 202 deliveries 0, not_posted');
$msgs = wait_messages(channel => 'C0ALERTS', count => 1, timeout => 10);
sleep 1;
ok t_cmp(join(',', @{ markers_of($mock->messages) }), 'ing-ok,ing-ok,ing-od8',
         'only the posted events reached Slack (nothing for not_connected, unmapped, not_posted)');

# ---------------------------------------------------------------- refusals: nothing is queued
my $accepted0 = counters()->{accepted};
my $good = event('invoice.paid', account_id => $A, marker => 'ing-refused');
my $body = event_body($good);

my $now = int time;
$res = post_raw('POST', '{"id":"evt_x","type":', {'Content-Type' => 'application/json',
                'X-Nexte-Timestamp' => $now, 'X-Nexte-Signature' => event_signature($now, '{"id":"evt_x","type":')});
ok t_cmp($res->code, 400, 'malformed JSON (signed): 400');
ok t_cmp(error_of($res), 'malformed_json', 'malformed JSON: error malformed_json');
$res = post_event('[1,2,3]');
ok t_cmp($res->code . ' ' . error_of($res), qr/^(?:400 malformed_json|422 invalid_field)$/,
         'a JSON array, not an object: 400 or 422, never queued');

$res = post_event($good, omit => ['X-Nexte-Signature']);
ok t_cmp($res->code, 401, 'no X-Nexte-Signature: 401');
ok t_cmp(error_of($res), 'missing_signature', 'no X-Nexte-Signature: missing_signature');
$res = post_event($good, omit => ['X-Nexte-Timestamp']);
ok t_cmp($res->code . ' ' . error_of($res), '401 missing_signature', 'no X-Nexte-Timestamp: 401 missing_signature');
$res = post_event($good, omit => ['X-Nexte-Timestamp', 'X-Nexte-Signature']);
ok t_cmp($res->code . ' ' . error_of($res), '401 missing_signature', 'no signature headers at all: 401 missing_signature');
$res = post_event($good, secret => 'not-the-event-secret-at-all');
ok t_cmp($res->code, 401, 'signed with another secret: 401');
ok t_cmp(error_of($res), 'bad_signature', 'signed with another secret: bad_signature');
$res = post_event($good, signature => 'v1=' . ('0' x 63));
ok t_cmp($res->code . ' ' . error_of($res), '401 malformed_signature', 'a 63-digit signature: 401 malformed_signature');
$res = post_event($good, signature => 'v0=' . ('a' x 64));
ok t_cmp($res->code . ' ' . error_of($res), '401 malformed_signature', 'a v0= signature: 401 malformed_signature');
$res = post_event($good, ts => 'yesterday', signature => 'v1=' . ('a' x 64));
ok t_cmp($res->code . ' ' . error_of($res), '401 malformed_signature', 'a timestamp that is not a number: 401 malformed_signature');
$res = post_event($good, ts => time - 301);
ok t_cmp($res->code, 401, 'timestamp 301 s old (correctly signed): 401');
ok t_cmp(error_of($res), 'stale_timestamp', 'timestamp 301 s old: stale_timestamp');
# 330 s, not 301: the server compares with the time the request reached it, and on a loaded
# machine that can be a second or more after the client read its clock, which brings a
# timestamp in the future closer (the exact bound is unit-tested: t/unit/test_sign.c).
$res = post_event($good, ts => time + 330);
ok t_cmp($res->code, 401, 'timestamp 330 s in the future (correctly signed): 401');
ok t_cmp(error_of($res), 'stale_timestamp', 'timestamp 330 s in the future: stale_timestamp');
my %other = %$good;
$other{amount} = {value => '1000000.00', currency => 'EUR'};
$res = post_event(\%other, sign_body => $body);    # a captured signature replayed with another body
ok t_cmp($res->code, 401, 'replay of a signature with a changed body: 401');
ok t_cmp(error_of($res), 'bad_signature', 'replay with a changed body: bad_signature');
$res = post_event($body . ' ', sign_body => $body);
ok t_cmp($res->code . ' ' . error_of($res), '401 bad_signature', 'one byte appended after signing: 401 bad_signature');
$res = post_event($good, signature => event_signature(int(time) - 1, $body));
ok t_cmp($res->code . ' ' . error_of($res), '401 bad_signature',
         'a signature made for another timestamp: 401 bad_signature');
$res = post_event($good, signature => 'v1=' . uc substr(event_signature(int time, $body), 3));
ok t_cmp($res->code, 401, 'signature in upper-case hex: 401 (the format is lower-case hex)');

$res = post_raw('GET', undef, {});
ok t_cmp($res->code, 405, 'GET: 405');
ok t_cmp($res->header('Allow'), 'POST', 'GET: Allow: POST');
ok t_cmp(error_of($res), 'method_not_allowed', 'GET: JSON error method_not_allowed');
$res = post_event($good, method => 'PUT');
ok t_cmp($res->code . ' ' . ($res->header('Allow') // ''), '405 POST', 'PUT (signed): 405 with Allow: POST');

$res = post_event($good, content_type => 'text/plain');
ok t_cmp($res->code, 415, 'Content-Type text/plain (signed): 415');
ok t_cmp(error_of($res), 'unsupported_media_type', 'text/plain: unsupported_media_type');
$res = post_event($good, omit => ['Content-Type']);
ok t_cmp($res->code . ' ' . error_of($res), '415 unsupported_media_type', 'no Content-Type: 415');
$res = post_event($good, content_type => 'application/x-www-form-urlencoded');
ok t_cmp($res->code, 415, 'a form Content-Type: 415');

# 413: 64 KiB + 1 is refused, 64 KiB exactly is not refused for its size.
sub padded_to {
    my ($size, %over) = @_;
    my $e = event('invoice.paid', account_id => $A, %over, padding => '');
    my $base = length event_body($e);
    $e->{padding} = 'x' x ($size - $base);
    return event_body($e);
}
my $big = padded_to(64 * 1024 + 1, marker => 'ing-big');
ok t_cmp(length $big, 65537, 'the oversized body is 64 KiB + 1 bytes');
$res = post_event($big);
ok t_cmp($res->code, 413, '64 KiB + 1 (signed): 413');
ok t_cmp(error_of($res), 'too_large', '64 KiB + 1: too_large');
$res = post_event($big, omit => ['X-Nexte-Signature']);
ok t_cmp($res->code, 413, '64 KiB + 1 without a signature: 413 too');
my $limit = padded_to(64 * 1024, marker => 'ing-64k');
ok t_cmp(length $limit, 65536, 'the limit body is exactly 64 KiB');
$res = post_event($limit);
ok t_cmp($res->code != 413 ? 1 : 0, 1, '64 KiB exactly: not refused as too large (got ' . $res->code . ')');
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', '64 KiB exactly (unknown field ignored): 202 queued');
my $accepted_64k = 1;

# 422: each envelope field, named.
my %bad = (
    'id missing'                     => ['id',          sub { delete $_[0]{id} }],
    'id with a space'                => ['id',          sub { $_[0]{id} = 'evt 1' }],
    'id of 65 characters'            => ['id',          sub { $_[0]{id} = 'e' x 65 }],
    'id a number'                    => ['id',          sub { $_[0]{id} = 42 }],
    'type unknown'                   => ['type',        sub { $_[0]{type} = 'invoice.exploded' }],
    'type appointment.starting_soon' => ['type',        sub { $_[0]{type} = 'appointment.starting_soon' }],
    'type missing'                   => ['type',        sub { delete $_[0]{type} }],
    'account_id missing'             => ['account_id',  sub { delete $_[0]{account_id} }],
    'account_id with a dot'          => ['account_id',  sub { $_[0]{account_id} = 'acc.42' }],
    'account_id of 65 characters'    => ['account_id',  sub { $_[0]{account_id} = 'a' x 65 }],
    'occurred_at not RFC 3339'       => ['occurred_at', sub { $_[0]{occurred_at} = '28/11/2026 08:59' }],
    'occurred_at missing'            => ['occurred_at', sub { delete $_[0]{occurred_at} }],
    'amount.value a number'          => ['amount.value', sub { $_[0]{amount}{value} = 1250 }],
    'amount.value with a comma'      => ['amount.value', sub { $_[0]{amount}{value} = '1250,00' }],
    'amount.currency not ISO 4217'   => ['amount.currency', sub { $_[0]{amount}{currency} = 'EURO' }],
    'amount.currency missing'        => ['amount.currency', sub { delete $_[0]{amount}{currency} }],
    'client.id missing'              => ['client.id',   sub { delete $_[0]{client}{id} }],
    'client.id empty'                => ['client.id',   sub { $_[0]{client}{id} = '' }],
);
for my $case (sort keys %bad) {
    my ($field, $break) = @{ $bad{$case} };
    my $e = event('invoice.paid', account_id => $A, marker => 'ing-422');
    $break->($e);
    $res = post_event($e);
    my $j = json($res) // {};
    ok t_cmp($res->code . ' ' . ($j->{error} // '-') . ' ' . ($j->{field} // '-'), "422 invalid_field $field",
             "$case: 422 invalid_field naming $field");
}
$res = post_event(do { my $e = event('invoice.paid', account_id => $A); delete $e->{amount}{value}; $e });
ok t_cmp(json($res)->{message} // '', qr/\S/, '422: a human message too');

sleep 0.5;
ok t_cmp(counters()->{accepted} - $accepted0, $accepted_64k,
         'no refused request was queued (accepted grew only by the 64 KiB event)');
ok t_cmp(posted_with('ing-refused') + posted_with('ing-422') + posted_with('ing-big'), 0,
         'nothing refused reached Slack');

# Accepted variants: charset parameter, unknown fields ignored.
$res = post_event(event('invoice.paid', account_id => $A, marker => 'ing-cs'), content_type => 'application/json; charset=utf-8');
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', 'application/json; charset=utf-8: 202');
$res = post_event(event('invoice.paid', account_id => $A, marker => 'ing-extra', future_field => {x => [1]},
                        data => {method => 'card', later => 1}));
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', 'unknown extra fields are ignored: 202');
$res = post_event(event('invoice.paid', account_id => $A, marker => 'ing-290'), ts => time - 290);
ok t_cmp(answer($res), '202 status=queued deliveries=1 reason=-', 'a timestamp 290 s old is still inside the window: 202');

# ---------------------------------------------------------------- 503: the daemon does not answer
my $pid = counters()->{daemon}{pid} // 0;
ok t_cmp($pid, qr/^[1-9]\d*$/, 'status reports the delivery daemon\'s pid');
my $stopped = $pid && kill('STOP', $pid);
END { kill 'CONT', $pid if $stopped }
my $late = event('invoice.paid', account_id => $A, marker => 'ing-503');
my $t0 = time;
$res = post_event($late, timeout => 40);
my $took = time - $t0;
print "# 503 with the daemon stopped: answered ", $res->code, " after ", sprintf('%.1f', $took), " s\n";
ok t_cmp($res->code, 503, 'daemon stopped (SIGSTOP): 503');
ok t_cmp(error_of($res), qr/^(?:queue_unavailable|disk_full|store_unavailable)$/, '503: error queue_unavailable');
ok t_cmp($res->header('Retry-After') // '', qr/^\d+$/, '503: with Retry-After');
ok t_cmp($took <= 15 ? 1 : 0, 1, sprintf('503 arrives within 15 s (took %.1f s)', $took));
kill 'CONT', $pid if $stopped;
$stopped = 0;
# The daemon may still have read the frame that was waiting in its socket; Nexte core
# retries after a 503, and the retry must not make a second message.
my $retry = wait_until(15, sub { my $r = post_event($late); $r->code == 503 ? 0 : $r });
ok t_cmp($retry ? $retry->code : 503, qr/^20[02]$/, 'after SIGCONT, Nexte\'s retry is accepted (202) or a duplicate (200)');
$msgs = wait_until(10, sub { posted_with('ing-503') >= 1 });
sleep 1.5;
ok t_cmp(posted_with('ing-503'), 1, 'the event refused with 503 then retried is posted exactly once');
ok t_cmp(counters()->{daemon}{pid}, $pid, 'the same daemon carries on after SIGCONT');
