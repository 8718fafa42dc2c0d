# Active hours end to end (docs/CONTRACT.md "Routing and filters"; docs/FILTERS.md "Active hours",
# "While events are held", "The morning summary"; issue #13) on a server of its own under
# libfaketime (t/lib/NxsFaketime.pm), Agency accounts in Europe/Paris, asserting on the mock Slack.
# On a Tuesday at 20:00 Paris, outside Mon-Fri 09:00-19:00, a failed payment, two invoices paid
# and a lead (two category channels) each answer 202 deliveries 0 outside_active_hours, post
# nothing and show as held (status scheduled.held, Prometheus); a kill -9 of the delivery daemon
# loses none of them. Another account whose active hours are changed to open at 07:00 while its
# events are held gets its summary at 07:00, while the first still waits for 09:00. At Wednesday
# 09:00:05 the first gets exactly one summary per channel (counts, amounts summed, the failed
# payment first), nothing twice, and an event inside the hours posts at once. A window across
# midnight (every day 22:00-06:00) holds an event of noon until 22:00 and posts an event of
# 00:30 at once. A downgrade to Team releases what is held at the next round, without waiting
# for the hours; a disconnect drops it (nothing posted, even once the hours open).
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use POSIX qw(floor);
use Time::HiRes qw(sleep time);
use NxsClient qw(signed api_path);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 53, need_lwp;
binmode STDOUT, ':utf8';

my $ZONE = 'Europe/Paris';

# Unix time of a local wall-clock time in Paris (mktime normalises day overflow).
sub paris ($y, $m, $d, $H, $M = 0, $S = 0) {
    my $t;
    {
        local $ENV{TZ} = $ZONE;
        POSIX::tzset();
        $t = POSIX::mktime($S, $M, $H, $d, $m - 1, $y - 1900, 0, 0, -1);
    }
    POSIX::tzset();
    return $t;
}
sub paris_parts ($t) {
    my @l;
    {
        local $ENV{TZ} = $ZONE;
        POSIX::tzset();
        @l = localtime $t;
    }
    POSIX::tzset();
    return ($l[5] + 1900, $l[4] + 1, $l[3], $l[6]);    # y, m, d, weekday (0 = Sunday)
}

my $srv = NxsFaketime->start('active_hours');
local $NxsClient::BASE = $srv->url;

my $mock = mock();
# A: the morning summary (payments with @here, leads); B: hours changed while held; C: downgraded;
# D: disconnected.
my ($A_PAY, $A_LEAD, $B_PAY, $C_PAY, $D_PAY) = qw(C0AHAPAY C0AHALEAD C0AHBPAY C0AHCPAY C0AHDPAY);
$mock->channel(id => $_, team => 'T0MOCK01', name => lc "hours-$_") for $A_PAY, $A_LEAD, $B_PAY, $C_PAY, $D_PAY;
my ($A, $B, $C, $D) = map { "acc_ah_${_}_$$" } qw(a b c d);
connect_account($A, categories => {payments => $A_PAY, contacts => $A_LEAD}, mentions => {payments => 'here'});
connect_account($B, categories => {payments => $B_PAY});
connect_account($C, categories => {payments => $C_PAY});
connect_account($D, categories => {payments => $D_PAY});

my $seq = 0;
# Sends an event of ACC now (the server's time); returns "code deliveries reason".
sub send_ev ($acc, $type, $marker, %over) {
    my $ev = event($type, account_id => $acc, marker => $marker,
                   occurred_at => $srv->iso(floor($srv->now) - 120 + ++$seq), %over);
    my $res = post_event($ev, ts => floor($srv->now));
    my $j = json($res) // {};
    return join ' ', $res->code, $j->{deliveries} // '-', $j->{reason} // '-';
}
sub eur ($v) { (amount => {value => $v, currency => 'EUR'}) }
# A settings API call as Nexte core, signed with the server's time.
sub settings ($acc, $method, $path, $body = undef) {
    signed($acc, $method => api_path() . $path, $body, ts => floor($srv->now));
}
sub put_hours ($acc, $days, $start, $end) {
    settings($acc, PUT => 'filters', {active_hours => {days => $days, start => $start, end => $end}})->code;
}

my @WEEKDAYS = qw(mon tue wed thu fri);
my $HELD = '202 0 outside_active_hours';

# Every account: Agency in Paris (account.updated, as Nexte core sends it), Mon-Fri 09:00-19:00.
my @setup;
for my $acc ($A, $B, $C, $D) {
    push @setup, send_ev($acc, 'account.updated', undef,
                         data => {plan => 'agency', timezone => $ZONE, locale => 'en', currency => 'EUR'}) =~ s/ .*//r;
    push @setup, put_hours($acc, \@WEEKDAYS, '09:00', '19:00');
}
ok t_cmp("@setup", '202 200 202 200 202 200 202 200',
         'four Agency accounts in Europe/Paris with active hours Mon-Fri 09:00-19:00');

# The status: what is held, in all and for one account.
sub held () { (status_json() // {})->{scheduled}{held} // {} }
sub held_of ($acc, $h = held()) {
    my ($e) = grep { $_->{account_id} eq $acc } @{ $h->{accounts} // [] };
    return $e // {count => 0};
}
sub wait_held ($total) { wait_until(10, sub { my $h = held(); ($h->{total} // -1) == $total ? $h : undef }) // held() }

# Messages at the mock: all of a channel, the summaries among them.
sub msgs ($ch) { $mock->messages(channel => $ch) }
sub summaries ($ch) { [grep { ($_->{text} // '') =~ /while you were away/ } @{ msgs($ch) }] }
sub wait_summaries ($ch, $n) { wait_until(10, sub { @{ summaries($ch) } >= $n }); summaries($ch) }
sub counts (@chs) { join ',', map { scalar @{ msgs($_) } } @chs }
# The markers of a summary's items, in the order it lists them; its header and count fields.
sub items_of ($m) { join ',', map { marker_of($_->{text}{text}) // '?' } grep { $_->{accessory} } @{ $m->{blocks} // [] } }
sub header_of ($m) { my ($h) = grep { $_->{type} eq 'header' } @{ $m->{blocks} // [] }; $h ? $h->{text}{text} : '' }
sub fields_of ($m) { join ' | ', map { $_->{text} =~ s/\n/ /r } map { @{ $_->{fields} // [] } } @{ $m->{blocks} // [] } }

sub daemon_pid () { (status_json() // {})->{counters}{daemon}{pid} // 0 }
sub wait_new_daemon ($old) { wait_until(15, sub { my $p = daemon_pid(); $p && $p != $old ? $p : 0 }) }

# The next Tuesday 20:00 in Paris (a weekday evening, outside the hours), and the days after.
my ($T0, @day);
for my $k (0 .. 8) {
    my ($y, $m, $d, $wd) = paris_parts(time + $k * 86400);
    next unless $wd == 2;
    my $t = paris($y, $m, $d, 20);
    next unless $t > time + 120;
    ($T0, @day) = ($t, $y, $m, $d);
    last;
}
my $TUE = sub ($H, $M = 0, $S = 0) { paris(@day, $H, $M, $S) };
my $WED = sub ($H, $M = 0, $S = 0) { paris($day[0], $day[1], $day[2] + 1, $H, $M, $S) };
my $THU = sub ($H, $M = 0, $S = 0) { paris($day[0], $day[1], $day[2] + 2, $H, $M, $S) };

# ---------------------------------------------------------------- 1. held outside the hours
$srv->advance_to($TUE->(20));
my @codes = (send_ev($A, 'invoice.paid', 'a-p1'),    # 1250.00 EUR (the fixture's)
             send_ev($A, 'payment.failed', 'a-f1'),  # 480.00 EUR
             send_ev($A, 'invoice.paid', 'a-p2', eur('99.50')),
             send_ev($A, 'lead.received', 'a-l1'));
ok t_cmp(join(' / ', @codes), join(' / ', ($HELD) x 4),
         'Tuesday 20:00 Paris: four events each answer 202 deliveries 0 outside_active_hours');
my $h = wait_held(4);
ok t_cmp($h->{total}, 4, 'status: scheduled.held.total is 4');
ok t_cmp(held_of($A, $h)->{count}, 4, 'status: 4 held for the account');
ok t_cmp(defined $h->{oldest_age_seconds} && $h->{oldest_age_seconds} >= 0 && $h->{oldest_age_seconds} < 120 ? 'fresh' : $h->{oldest_age_seconds} // 'none',
         'fresh', 'status: the oldest held event is seconds old');
my $prom = prometheus();
ok t_cmp($prom, qr/^nexte_slack_held_events 4$/m, 'Prometheus: nexte_slack_held_events 4');
ok t_cmp($prom, qr/^nexte_slack_held_oldest_age_seconds \d+$/m, 'Prometheus: nexte_slack_held_oldest_age_seconds');
sleep 1;
ok t_cmp(counts($A_PAY, $A_LEAD), '0,0', 'nothing posted in either channel');

# ---------------------------------------------------------------- 2. kill -9 of the delivery daemon
my $pid1 = daemon_pid();
kill 'KILL', $pid1 if $pid1;
my $pid2 = wait_new_daemon($pid1);
ok t_cmp($pid1 && $pid2 ? 'restarted' : "pid $pid1 -> $pid2", 'restarted', 'the daemon killed (kill -9) is restarted by httpd');
sleep 1;
ok t_cmp(held()->{total}, 4, 'after the restart: still 4 held');
ok t_cmp(counts($A_PAY, $A_LEAD), '0,0', 'after the restart: nothing posted');

# ---------------------------------------------------------------- 7. active hours changed while held
@codes = (send_ev($B, 'invoice.paid', 'b-p1'), send_ev($B, 'payment.failed', 'b-f1'));
ok t_cmp(join(' / ', @codes), "$HELD / $HELD", 'B: two events held on Tuesday evening (hours from 09:00)');
$h = wait_held(6);
ok t_cmp(held_of($B, $h)->{count}, 2, 'status: 2 held for B');
ok t_cmp(put_hours($B, \@WEEKDAYS, '07:00', '19:00'), 200, 'B: active hours changed to open at 07:00 while held');
$srv->advance_to($WED->(6, 59, 30));
sleep 2;
ok t_cmp(counts($B_PAY) . ' ' . held_of($B)->{count}, '0 2', 'B: Wednesday 06:59:30, still held, nothing posted');
$srv->advance_to($WED->(7, 0, 5));
my $got = wait_summaries($B_PAY, 1);
ok t_cmp(scalar(@$got) . ' ' . items_of($got->[0] // {}), '1 b-f1,b-p1',
         'B: one summary at 07:00:05 (the new opening), the failed payment first');
$h = held();
ok t_cmp(held_of($B, $h)->{count} . ' ' . held_of($A, $h)->{count}, '0 4', 'status: B released, A still holds 4 (opens at 09:00)');
sub about_11h ($age) { defined $age && $age >= 11 * 3600 - 5 && $age < 11 * 3600 + 120 ? 'about 11 h' : $age // 'none' }
ok t_cmp(about_11h(held_of($A, $h)->{oldest_age_seconds}), 'about 11 h', 'status: A\'s oldest held event is about 11 h old (20:00 to 07:00)');
ok t_cmp(about_11h($h->{oldest_age_seconds}), 'about 11 h', 'status: so is the oldest of all');
ok t_cmp(counts($A_PAY, $A_LEAD), '0,0', 'A: nothing posted at 07:00');

# ---------------------------------------------------------------- 3. the hours open: one summary per channel
$srv->advance_to($WED->(9, 0, 5));
my $pay = wait_summaries($A_PAY, 1);
my $lead = wait_summaries($A_LEAD, 1);
ok t_cmp(scalar(@$pay) . ',' . scalar(@$lead), '1,1', 'Wednesday 09:00:05: one summary in each channel');
my $p = $pay->[0] // {};
ok t_cmp($p->{text} // '', qr/^<!here> \x{1F305} 3 events while you were away/,
         'payments summary: the text says 3 events, with the payments mention');
ok t_cmp(header_of($p), "\x{1F305} 3 events while you were away", 'payments summary: header');
ok t_cmp(fields_of($p), "*Failed payments* 1 \x{B7} \x{20AC}480.00 | *Invoices paid* 2 \x{B7} \x{20AC}1,349.50",
         'payments summary: counts per type, amounts summed, failed payments first');
ok t_cmp(items_of($p), 'a-f1,a-p1,a-p2', 'payments summary: the failed payment first, then the invoices oldest first');
my $l = $lead->[0] // {};
ok t_cmp($l->{text} // '', qr/^\x{1F305} 1 event while you were away/, 'leads summary: 1 event, no mention');
ok t_cmp(fields_of($l) . ' ' . items_of($l), '*New leads* 1 a-l1', 'leads summary: the lead counted and listed');
ok t_cmp(wait_held(0)->{total}, 0, 'status: held.total back to 0');
ok t_cmp(held_of($A)->{count}, 0, 'status: the account is no longer listed');
sleep 2;
$srv->advance(70);    # another round, in another minute's claim
sleep 2;
ok t_cmp(counts($A_PAY, $A_LEAD, $B_PAY), '1,1,1', 'nothing posted twice (2 s, then a minute later)');
ok t_cmp(send_ev($A, 'invoice.paid', 'a-in1', eur('10.00')), '202 1 -', 'inside the hours: 202 deliveries 1');
my $in = wait_until(10, sub { my @m = grep { (marker_of($_) // '') eq 'a-in1' } @{ msgs($A_PAY) }; @m ? $m[0] : undef });
ok t_cmp($in ? ($in->{text} =~ /while you were away/ ? 'summary' : 'its own message') : 'not posted', 'its own message',
         'inside the hours: the event posts at once, as usual');

# ---------------------------------------------------------------- 4. a window across midnight
ok t_cmp(put_hours($A, [qw(mon tue wed thu fri sat sun)], '22:00', '06:00'), 200,
         'A: active hours every day 22:00-06:00, set while nothing is held');
$srv->advance_to($WED->(12));
ok t_cmp(send_ev($A, 'lead.received', 'a-n1'), $HELD, 'Wednesday 12:00: a lead is held');
ok t_cmp(wait_held(1)->{total}, 1, 'status: one held');
$srv->advance_to($WED->(21, 59, 30));
sleep 1.5;
ok t_cmp(counts($A_LEAD), 1, 'Wednesday 21:59:30: not yet');
$srv->advance_to($WED->(22, 0, 5));
$lead = wait_summaries($A_LEAD, 2);
ok t_cmp(scalar(@$lead) . ' ' . header_of($lead->[1] // {}) . ' ' . items_of($lead->[1] // {}),
         "2 \x{1F305} 1 event while you were away a-n1", 'Wednesday 22:00:05: its summary');
ok t_cmp(wait_held(0)->{total}, 0, 'status: nothing held');

# ---------------------------------------------------------------- 5. a downgrade releases at once
@codes = (send_ev($C, 'payment.failed', 'c-f1'), send_ev($C, 'invoice.paid', 'c-p1'));
ok t_cmp(join(' / ', @codes), "$HELD / $HELD", 'C: two events held on Wednesday 22:00 (hours Mon-Fri 09:00-19:00)');
ok t_cmp(held_of($C, wait_held(2))->{count}, 2, 'status: 2 held for C');
# (The fixture's data carries locale fr: every field is given, so that only the plan changes.)
ok t_cmp(send_ev($C, 'account.updated', undef, data => {plan => 'team', timezone => $ZONE, locale => 'en', currency => 'EUR'}),
         '202 0 not_posted', 'C: downgraded to Team (account.updated)');
# The next round: the chores thread looks at least once a minute (MAX_SLEEP).
$srv->advance(61);
$got = wait_summaries($C_PAY, 1);
ok t_cmp(scalar(@$got) . ' ' . header_of($got->[0] // {}) . ' ' . items_of($got->[0] // {}),
         "1 \x{1F305} 2 events while you were away c-f1,c-p1",
         'C: its summary at the next round, at 22:01, not at Thursday 09:00');
ok t_cmp(held_of($C, wait_held(0))->{count}, 0, 'status: nothing held for C');

# ---------------------------------------------------------------- 6. a disconnect drops
@codes = (send_ev($D, 'invoice.paid', 'd-p1'), send_ev($D, 'payment.failed', 'd-f1'));
ok t_cmp(join(' / ', @codes), "$HELD / $HELD", 'D: two events held');
ok t_cmp(held_of($D, wait_held(2))->{count}, 2, 'status: 2 held for D');
my $res = settings($D, POST => 'disconnect');
ok t_cmp($res->code, 200, 'D: disconnected through the settings API');
$srv->advance(61);
$h = wait_held(0);
ok t_cmp(($h->{total} // '?') . ' ' . held_of($D, $h)->{count}, '0 0', 'status: D\'s held events are gone at the next round');
my @why = $srv->log_lines(qr/NXS00139: account \Q$D\E is not connected: its 2 held event\(s\) dropped/);
ok t_cmp(scalar(@why) ? 'logged' : 'silent', 'logged', 'the drop is logged (NXS00139)');

# Back to 4: after midnight, inside the window that started on Wednesday 22:00.
$srv->advance_to($THU->(0, 30));
ok t_cmp(send_ev($A, 'invoice.paid', 'a-mid', eur('20.00')), '202 1 -',
         'Thursday 00:30: inside the window begun on Wednesday 22:00, posted at once');
ok t_cmp(wait_until(10, sub { grep { (marker_of($_) // '') eq 'a-mid' } @{ msgs($A_PAY) } }) ? 'posted' : 'not posted',
         'posted', '... and it reaches Slack');

# D's hours open: still nothing.
$srv->advance_to($THU->(9, 0, 5));
sleep 3;
ok t_cmp(counts($D_PAY) . ' ' . scalar @{ $mock->calls(method => 'chat.postMessage', channel => $D_PAY) }, '0 0',
         'D: nothing posted, even once its hours open (Thursday 09:00:05)');
ok t_cmp(counts($A_PAY, $A_LEAD, $B_PAY, $C_PAY), '3,2,1,1',
         'in all: one summary per channel and release, and the two events posted inside the hours');
ok t_cmp(prometheus(), qr/^nexte_slack_held_events 0$/m, 'Prometheus: nexte_slack_held_events 0');

$srv->stop;
