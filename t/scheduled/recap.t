# The daily recap (docs/CONTRACT.md "Scheduled work"; docs/SCHEDULED.md "Daily recap") on a server of its
# own under libfaketime (t/lib/NxsFaketime.pm): a day of events in Europe/Paris (duplicates,
# a second currency, a refund with a minus sign, an event of the day before, a late event),
# then the clock crosses 09:00 Paris: one post in the recap channel whose every number is
# checked; a quiet day posts nothing; an event arriving after its day's recap changes nothing.
# Then a second account in Europe/London crosses its own 09:00 while the delivery daemon is
# killed (kill -9) and restarted by httpd's parent, and is killed again after the post: one
# recap each, all the same.
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use POSIX qw(floor strftime);
use Time::HiRes qw(sleep time);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 25, need_lwp;
binmode STDOUT, ':utf8';

# Unix time of a local wall-clock time in ZONE (mktime normalises day overflow).
sub local_time ($zone, $y, $m, $d, $H, $M = 0, $S = 0) {
    my $t;
    {
        local $ENV{TZ} = $zone;
        POSIX::tzset();
        $t = POSIX::mktime($S, $M, $H, $d, $m - 1, $y - 1900, 0, 0, -1);
    }
    POSIX::tzset();
    return $t;
}
sub local_date ($zone, $t) {
    my @l;
    {
        local $ENV{TZ} = $zone;
        POSIX::tzset();
        @l = localtime $t;
    }
    POSIX::tzset();
    return ($l[5] + 1900, $l[4] + 1, $l[3]);
}

my $srv = NxsFaketime->start('recap');
local $NxsClient::BASE = $srv->url;

my $mock = mock();
my ($RC1, $RC2) = ('C0SCHEDRC1', 'C0SCHEDRC2');
$mock->channel(id => $_, team => 'T0MOCK01', name => lc "sched-$_") for $RC1, $RC2;
my ($A1, $A2) = ("acc_sch_rc1_$$", "acc_sch_rc2_$$");
connect_account($A1, categories => {recap => $RC1});
connect_account($A2, categories => {recap => $RC2});

my $n = 0;
sub post_at ($acc, $type, $at, %over) {
    my $ev = event($type, account_id => $acc, occurred_at => $srv->iso($at), marker => 'rc' . ++$n, %over);
    return post_event($ev, ts => floor($srv->now));
}
sub money ($v, $c) { (amount => {value => $v, currency => $c}) }

# The zones come from account.updated (Nexte core's event, which posts nothing).
ok t_cmp(post_at($A1, 'account.updated', $srv->now, data => {timezone => 'Europe/Paris', locale => 'en', currency => 'EUR', plan => 'agency'})->code
         . ',' . post_at($A2, 'account.updated', $srv->now, data => {timezone => 'Europe/London', locale => 'en', currency => 'GBP', plan => 'agency'})->code,
         '202,202', 'account.updated sets Paris and London');

# Day D: a day that starts after now in Paris.
my ($y, $m, $d) = local_date('Europe/Paris', time + 86400);
my $D_at = sub ($H, $M = 0, $S = 0) { local_time('Europe/Paris', $y, $m, $d, $H, $M, $S) };
my $next_at = sub ($zone, $H, $M = 0, $S = 0) { local_time($zone, $y, $m, $d + 1, $H, $M, $S) };

# D 10:00 Paris (09:00 London): the recaps of the day before are due for both accounts,
# and that day was quiet: recorded as skipped, nothing posted.
$srv->advance_to($D_at->(10));
my $st = wait_until(10, sub { my $s = status_json()->{scheduled}; $s && $s->{recaps}{skipped} >= 2 ? $s : undef });
ok t_cmp($st && $st->{recaps}{skipped}, 2, 'the quiet day before D: two recaps skipped');
ok t_cmp(scalar @{ $mock->messages(channel => $RC1) } + scalar @{ $mock->messages(channel => $RC2) }, 0,
         '... and nothing posted');

# D's events for A1, each occurring on D in Paris (from 00:30).
my %code;
my $at = $D_at->(0, 30);
my $dup = event('invoice.paid', account_id => $A1, occurred_at => $srv->iso($at), marker => 'dup', money('100.00', 'EUR'));
$code{paid1}  = post_event($dup, ts => floor($srv->now))->code;
$code{paid1b} = post_event($dup, ts => floor($srv->now))->code;    # a retry: counts once
$code{paid2}  = post_at($A1, 'invoice.paid',         $at += 60, money('100.00', 'EUR'))->code;
$code{renew}  = post_at($A1, 'subscription.renewed', $at += 60, money('29.90',  'EUR'))->code;
$code{refund} = post_at($A1, 'refund.issued',        $at += 60, money('-15.50', 'EUR'))->code;
$code{usd}    = post_at($A1, 'invoice.paid',         $at += 60, money('50.00',  'USD'))->code;
$code{failed} = post_at($A1, 'payment.failed',       $at += 60)->code;
$code{lead1}  = post_at($A1, 'lead.received',        $at += 60)->code;
$code{lead2}  = post_at($A1, 'lead.received',        $at += 60)->code;
$code{qsent}  = post_at($A1, 'quote.sent',           $at += 60)->code;
$code{qacc}   = post_at($A1, 'quote.accepted',       $at += 60)->code;
$code{booked} = post_at($A1, 'appointment.booked',   $at += 60, data => {starts_at => $srv->iso($D_at->(0) + 5 * 86400)})->code;
# An event of the day before D, arriving after that day's recap was settled: kept, no recap.
$code{before} = post_at($A1, 'invoice.paid', $D_at->(0) - 3600, money('999.00', 'EUR'))->code;
# A2's day in London.
$code{a2paid} = post_at($A2, 'invoice.paid', $D_at->(9, 30), money('20.00', 'GBP'))->code;
$code{a2lead} = post_at($A2, 'lead.received', $D_at->(9, 31))->code;
ok t_cmp(join(',', map { "$_=$code{$_}" } sort keys %code),
         join(',', map { "$_=" . ($_ eq 'paid1b' ? 200 : 202) } sort keys %code),
         'the day\'s events are accepted, the retry as a duplicate');

# D+1 08:55 Paris: a late event of D (after an outage) still counts: its recap has not gone.
$srv->advance_to($next_at->('Europe/Paris', 8, 55));
ok t_cmp(post_at($A1, 'invoice.paid', $D_at->(23, 30), money('10.00', 'EUR'))->code, 202, 'a late event of D before 09:00');
sleep 2;
ok t_cmp(scalar @{ $mock->messages(channel => $RC1) }, 0, 'no recap before 09:00 Paris');

# 09:00 Paris: A1's recap.
$srv->advance_to($next_at->('Europe/Paris', 9, 0, 2));
my $msgs = $mock->wait_for_messages(channel => $RC1, count => 1, timeout => 10);
ok t_cmp(scalar @$msgs, 1, 'one recap at 09:00 Paris');
my $r = $msgs->[0] // {};
my %block;
for my $b (@{ $r->{blocks} // [] }) {
    my $text = $b->{text} && ref $b->{text} ? $b->{text}{text}
             : $b->{elements} && $b->{type} eq 'context' ? join("\n", map { $_->{text} // '' } @{ $b->{elements} }) : undef;
    $block{ $b->{type} } //= $text if defined $text;
    $block{fields} = [map { $_->{text} } @{ $b->{fields} }] if $b->{fields};
}
my $day_name = do { local $ENV{LC_TIME} = 'C'; POSIX::setlocale(POSIX::LC_TIME(), 'C');
                    my $s = strftime('%A, %B %d, %Y', 0, 0, 12, $d, $m - 1, $y - 1900); $s =~ s/ 0(\d),/ $1,/; $s };
ok t_cmp($block{header}, "\x{1F4CA} Daily recap: $day_name", 'header: the previous local day, D');
ok t_cmp($block{section}, "*Revenue:* \x{20AC}224.40 \x{B7} \$50.00",
         'revenue per currency, alphabetical: 100 + 100 + 10 (late) + 29.90 - 15.50 EUR; 50 USD');
ok t_cmp($block{context} // '', qr/^\x{20AC}224\.40 = paid \x{20AC}210\.00 \+ renewals \x{20AC}29\.90 \x{2212} refunds \x{20AC}15\.50\n\$50\.00 = paid \$50\.00/,
         'the breakdown: the duplicate and the day before are not in it');
my @want = ("*Payments*\n5", "*Failed payments*\n1", "*New leads*\n2", "*Quotes sent*\n1",
            "*Quotes accepted*\n1", "*Appointments booked*\n1");
my @fields = @{ $block{fields} // [] };
ok t_cmp($fields[$_] // '', $want[$_], "field: " . ($want[$_] =~ s/\n/ = /r)) for 0 .. $#want;
ok t_cmp(scalar @{ $mock->messages(channel => $RC2) }, 0, 'A2 (London): not yet, its 09:00 is an hour later');

# After the recap: an event of D is kept but changes nothing; no second post.
ok t_cmp(post_at($A1, 'invoice.paid', $D_at->(23, 40), money('7.00', 'EUR'))->code, 202, 'a late event of D after its recap');
sleep 3;
ok t_cmp(scalar @{ $mock->messages(channel => $RC1) }, 1, '... no second recap');

# A2 crosses 09:00 London while the delivery daemon is being killed and restarted.
sub daemon_pid () { (status_json() // {})->{counters}{daemon}{pid} // 0 }
sub wait_new_daemon ($old) { wait_until(15, sub { my $p = daemon_pid(); $p && $p != $old ? $p : 0 }) }
$srv->advance_to($next_at->('Europe/London', 8, 59, 50));
my $pid1 = daemon_pid();
kill 'KILL', $pid1;
$srv->advance_to($next_at->('Europe/London', 9, 0, 1));
my $pid2 = wait_new_daemon($pid1);
ok t_cmp($pid2 ? 'restarted' : 'down', 'restarted', 'the daemon killed at 08:59:50 London is restarted by httpd');
$msgs = $mock->wait_for_messages(channel => $RC2, count => 1, timeout => 10);
ok t_cmp(scalar @$msgs, 1, 'A2: one recap after 09:00 London, from the restarted daemon');
ok t_cmp($msgs->[0] && $msgs->[0]{text} // '', qr/\x{A3}20\.00/, 'A2: its revenue in GBP');
# Once its completion is on disk (synced within a second), kill it again: nothing is sent twice.
sleep 2.5;
kill 'KILL', $pid2;
my $pid3 = wait_new_daemon($pid2);
ok t_cmp($pid3 ? 'restarted' : 'down', 'restarted', 'killed again after the post, restarted again');
sleep 4;
ok t_cmp(scalar(@{ $mock->messages(channel => $RC1) }) . ',' . scalar(@{ $mock->messages(channel => $RC2) }), '1,1',
         'still one recap per account and day');
$st = status_json()->{scheduled};
ok t_cmp($st->{recaps}{sent}, 2, 'status: two recaps sent today');

$srv->stop;
