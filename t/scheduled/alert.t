# The pre-meeting alert (docs/CONTRACT.md "Scheduled work"; docs/SCHEDULED.md "Pre-meeting alert") on a
# server of its own under libfaketime (t/lib/NxsFaketime.pm), its clock moved by minutes in a
# second: one "starting soon" post 15 minutes before a booked meeting, in the booking channel
# with the booking category's mention; none for a cancelled meeting; one at the new time for a
# rescheduled one (none at the old time); none once the meeting has started (the clock jumps
# past the start, as after an outage); at once for a meeting booked less than 15 minutes ahead;
# once for a booking sent twice; and, while SQL refuses the scheduled work, a 202 all the same:
# the work waits in the durable queue and is recorded when SQL answers again.
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use IPC::Open2 qw(open2);
use POSIX qw(floor);
use Time::HiRes qw(sleep time);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 27, need_lwp;
binmode STDOUT, ':utf8';

my $srv = NxsFaketime->start('alert');
local $NxsClient::BASE = $srv->url;

my $mock = mock();
my $CH = 'C0SCHEDBK';
$mock->channel(id => $CH, team => 'T0MOCK01', name => 'sched-booking');
my $ACC = "acc_sch_al_$$";
connect_account($ACC, categories => {booking => $CH}, mentions => {booking => 'here'});

# A fixed point of the day, far from midnight UTC, so that "today" in the status holds the
# whole test: the next 10:00:00 UTC.
my $T0 = do { my $n = floor($srv->now); my $d = $n - $n % 86400 + 10 * 3600; $d > $n + 60 ? $d : $d + 86400 };
$srv->advance_to($T0);

my $seq = 0;
sub post_at ($type, %over) {
    my $ev = event($type, account_id => $ACC, occurred_at => $srv->iso($srv->now - 60 + ++$seq), %over);
    return post_event($ev, ts => floor($srv->now));
}
sub apt ($id) { {kind => 'appointment', id => $id, url => "https://app.nexte.io/appointments/$id"} }
sub starts ($t) { {starts_at => $srv->iso($t)} }

# The "starting soon" posts in the booking channel, by marker.
sub soon () {
    [grep { ($_->{text} // '') =~ /starting soon/i } @{ $mock->messages(channel => $CH) }]
}
sub soon_markers () { join ',', sort map { marker_of($_) // '?' } @{ soon() } }
sub wait_soon ($n, $timeout = 10) { wait_until($timeout, sub { @{ soon() } >= $n }); soon() }

my %code;
$code{A} = post_at('appointment.booked', marker => 'a1', record => apt("apt_a_$$"), data => starts($T0 + 20 * 60))->code;
$code{B} = post_at('appointment.booked', marker => 'b1', record => apt("apt_b_$$"), data => starts($T0 + 21 * 60))->code;
$code{C} = post_at('appointment.booked', marker => 'c1', record => apt("apt_c_$$"), data => starts($T0 + 22 * 60))->code;
$code{D} = post_at('appointment.booked', marker => 'd1', record => apt("apt_d_$$"), data => starts($T0 + 60 * 60))->code;
$code{Bx} = post_at('appointment.cancelled', record => apt("apt_b_$$"))->code;
# A rescheduling posts nothing itself: it must still move the alert.
$code{Cr} = post_at('appointment.rescheduled', record => apt("apt_c_$$"), data => starts($T0 + 40 * 60))->code;
ok t_cmp(join(',', map { "$_=$code{$_}" } sort keys %code), 'A=202,B=202,Bx=202,C=202,Cr=202,D=202',
         'bookings, the cancellation and the rescheduling are accepted');

my $st = status_json()->{scheduled};
ok t_cmp($st->{reminders}{pending}, 3, 'status: three alerts pending (A, C, D; B cancelled)');
ok t_cmp($st->{reminders}{next_due_at}, $srv->iso($T0 + 5 * 60), 'status: the next is A, 15 min before its start');

# 16 minutes before A: nothing yet.
$srv->advance_to($T0 + 4 * 60 + 50);
sleep 2.5;
ok t_cmp(scalar @{ soon() }, 0, 'no alert 15 min 10 s before the start');

# 14 min 58 s before A: its alert, once, with the booking mention.
$srv->advance_to($T0 + 5 * 60 + 2);
my $got = wait_soon(1);
ok t_cmp(soon_markers(), 'a1', 'A: one "starting soon" post at -15 min');
ok t_cmp($got->[0]{text} // '', qr/^<!here> /, 'A: with the booking category\'s mention');

# Past B's (cancelled) and C's old alert time: nothing more.
$srv->advance_to($T0 + 8 * 60);
sleep 3;
ok t_cmp(soon_markers(), 'a1', 'none for the cancelled B, none at C\'s old time');

# C at its new time (40 min start: alert at 25 min).
$srv->advance_to($T0 + 24 * 60 + 50);
sleep 2.5;
ok t_cmp(soon_markers(), 'a1', 'C: not before -15 min of its new start');
$srv->advance_to($T0 + 25 * 60 + 2);
wait_soon(2);
ok t_cmp(soon_markers(), 'a1,c1', 'C: one alert at -15 min of its new start');

# The server "was down" over D's alert time and its start: the clock jumps past the start.
$srv->advance_to($T0 + 61 * 60);
sleep 3;
ok t_cmp(soon_markers(), 'a1,c1', 'D: no alert after the meeting started');
$st = status_json()->{scheduled};
ok t_cmp($st->{reminders}{sent}, 2, 'status: two alerts sent today');
ok t_cmp($st->{reminders}{skipped}, 1, 'status: one skipped (D started)');
ok t_cmp($st->{reminders}{pending}, 0, 'status: none pending');

# Booked 10 minutes ahead: the alert goes at once, without moving the clock.
my $t = time;
my $res = post_at('appointment.booked', marker => 'e1', record => apt("apt_e_$$"), data => starts($srv->now + 10 * 60));
ok t_cmp($res->code, 202, 'E booked 10 min ahead');
wait_soon(3, 5);
ok t_cmp(soon_markers(), 'a1,c1,e1', 'E: alert at once');
ok t_cmp(time - $t < 3 ? 'prompt' : sprintf('%.1f s', time - $t), 'prompt', 'E: within 3 s (the booking wakes the chores thread)');

# A retried booking (same event) changes nothing; neither does a later look.
my $ev = event('appointment.booked', account_id => $ACC, marker => 'f1', record => apt("apt_f_$$"),
               occurred_at => $srv->iso(floor($srv->now) - 5), data => starts($srv->now + 30 * 60));
ok t_cmp(post_event($ev, ts => floor($srv->now))->code, 202, 'F booked 30 min ahead');
ok t_cmp(post_event($ev, ts => floor($srv->now))->code, 200, 'F sent again: duplicate');
$srv->advance(15 * 60 + 2);
wait_soon(4);
sleep 2;
ok t_cmp(soon_markers(), 'a1,c1,e1,f1', 'F: one alert for the booking sent twice');

# Prometheus carries the same numbers.
my $prom = prometheus();
ok t_cmp($prom, qr/^nexte_slack_reminders_today\{state="sent"\} 4$/m, 'Prometheus: 4 alerts sent today');
ok t_cmp($prom, qr/^nexte_slack_reminders_today\{state="skipped"\} 1$/m, 'Prometheus: 1 skipped');
my @rounds = $srv->log_lines(qr/NXS00060: scheduled work: 1 alerts queued/);
ok t_cmp(scalar(@rounds) >= 1 ? 'logged' : 'silent', 'logged', 'a round that queued an alert says so at debug');

# SQL refuses the scheduled work (another writer holds SQLite's write lock): the event and its
# scheduled work are on disk in the queue, so Nexte gets its 202 at once; the daemon's intake
# keeps the work queued, tries again, and records it once SQL answers; the alert goes once.
my $lock_pid = open2(my $lock_out, my $lock_in, 'python3', '-c', <<'PY', $srv->dir . '/nexte.sqlite');
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
c.execute("ROLLBACK")
PY
my $locked = <$lock_out> // '';
my $g = event('appointment.booked', account_id => $ACC, marker => 'g1', record => apt("apt_g_$$"),
              occurred_at => $srv->iso(floor($srv->now) - 5), data => starts($srv->now + 20 * 60));
my $g1 = post_event($g, ts => floor($srv->now), timeout => 30);
ok t_cmp("$locked:" . $g1->code, "locked\n:202", 'G: accepted while SQLite is locked (its scheduled work is in the queue)');
my $refused = wait_until(10, sub { (counters()->{scheduled_work}{store_refusals} // 0) >= 1 });
my $sw = counters()->{scheduled_work} // {};
ok t_cmp(($refused ? 'refused' : 'not tried') . ", waiting $sw->{waiting}", 'refused, waiting 1',
         'status: the store refused it, one event\'s scheduled work waits');
close $lock_in;
waitpid $lock_pid, 0;
ok t_cmp(wait_until(40, sub { (counters()->{scheduled_work}{waiting} // -1) == 0 }) ? 'recorded' : 'waiting',
         'recorded', 'G: recorded once SQLite answers again');
ok t_cmp(post_event($g, ts => floor($srv->now))->code, 200, 'G sent again: a duplicate');
$srv->advance(5 * 60 + 2);
wait_soon(5);
sleep 2;
ok t_cmp(soon_markers(), 'a1,c1,e1,f1,g1', 'G: one alert');

$srv->stop;
