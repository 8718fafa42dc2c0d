# The pre-meeting alert across restarts (docs/CONTRACT.md "Scheduled work"; docs/SCHEDULED.md
# "Pre-meeting alert", "Once only: claims in SQL"; issue #12: "Sent once per appointment, across
# restarts and kill -9") on a server of its own under libfaketime (t/lib/NxsFaketime.pm): the
# delivery daemon killed (kill -9) before an alert's time and restarted by httpd's parent sends
# it once, with the booking mention; killed again just after an alert went (its completion on
# disk), the restarted daemon does not send it again; the whole server stopped across an alert
# time and started again before the meeting sends the alert once on recovery; stopped across a
# meeting's start, it sends none and counts it as skipped. The status (pending, sent, skipped)
# agrees at the end.
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use POSIX qw(floor);
use Time::HiRes qw(sleep time);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 24, need_lwp;
binmode STDOUT, ':utf8';

my $srv = NxsFaketime->start('alert_restart');
local $NxsClient::BASE = $srv->url;

my $mock = mock();
my $CH = 'C0SCHEDRS';
$mock->channel(id => $CH, team => 'T0MOCK01', name => 'sched-restart');
my $ACC = "acc_sch_ar_$$";
connect_account($ACC, categories => {booking => $CH}, mentions => {booking => 'here'});

# A fixed point of the day, far from midnight UTC, so that "today" in the status holds the
# whole test: the next 10:00:00 UTC.
my $T0 = do { my $n = floor($srv->now); my $d = $n - $n % 86400 + 10 * 3600; $d > $n + 60 ? $d : $d + 86400 };
$srv->advance_to($T0);

my $seq = 0;
sub book ($marker, $start) {
    my $ev = event('appointment.booked', account_id => $ACC, marker => $marker,
                   occurred_at => $srv->iso($srv->now - 60 + ++$seq),
                   record => {kind => 'appointment', id => "apt_${marker}_$$",
                              url => "https://app.nexte.io/appointments/apt_${marker}_$$"},
                   data => {starts_at => $srv->iso($start)});
    my $code = post_event($ev, ts => floor($srv->now))->code;
    # The booking's own post, delivered before the clock jumps (a jump of minutes during a
    # call to Slack times it out under libfaketime).
    wait_until(10, sub { grep { ($_->{text} // '') !~ /starting soon/i && (marker_of($_) // '') eq $marker }
                              @{ $mock->messages(channel => $CH) } });
    return $code;
}

# The "starting soon" posts in the booking channel, by marker (a duplicate shows twice).
sub soon () {
    [grep { ($_->{text} // '') =~ /starting soon/i } @{ $mock->messages(channel => $CH) }]
}
sub soon_markers () { join ',', sort map { marker_of($_) // '?' } @{ soon() } }
sub wait_soon ($n, $timeout = 10) { wait_until($timeout, sub { @{ soon() } >= $n }); soon() }

sub reminders () { (status_json() // {})->{scheduled}{reminders} // {} }
sub daemon_pid () { (status_json() // {})->{counters}{daemon}{pid} // 0 }
sub wait_new_daemon ($old) { wait_until(15, sub { my $p = daemon_pid(); $p && $p != $old ? $p : 0 }) }

# Stops the whole server and waits until none of its processes is left (the pid file goes
# before the parent has reaped the daemon).
sub stop_server () {
    $srv->stop;
    my @left;
    return wait_until(15, sub { @left = $srv->pids; !@left }) ? 'stopped' : "still running: @left";
}

# 1. A meeting at T0 + 40 min (alert at T0 + 25 min); the daemon is killed at T0 + 24 min 30 s
#    and restarted by httpd; then the clock enters the alert window.
ok t_cmp(book('m1', $T0 + 40 * 60), 202, 'M1 booked for T0 + 40 min');
$srv->advance_to($T0 + 24 * 60 + 30);
my $pid1 = daemon_pid();
kill 'KILL', $pid1 if $pid1;
my $pid2 = wait_new_daemon($pid1);
ok t_cmp($pid1 && $pid2 ? 'restarted' : "pid $pid1 -> $pid2", 'restarted',
         'the daemon killed (kill -9) 30 s before M1\'s alert is restarted by httpd');
my $r = reminders();
ok t_cmp(($r->{pending} // '?') . ' ' . ($r->{next_due_at} // '?'), '1 ' . $srv->iso($T0 + 25 * 60),
         'status: M1\'s alert still pending, due at T0 + 25 min');
sleep 1;
ok t_cmp(scalar @{ soon() }, 0, 'no alert before its time');
$srv->advance_to($T0 + 25 * 60 + 3);
my $got = wait_soon(1);
ok t_cmp(soon_markers(), 'm1', 'M1: one "starting soon" post from the restarted daemon');
ok t_cmp($got->[0] && $got->[0]{text} // '', qr/^<!here> /, 'M1: with the booking category\'s mention');

# 2. A meeting at T0 + 50 min (alert at T0 + 35 min): the daemon is killed once the alert was
#    posted and its completion is on disk (synced within a second), then restarted; the clock
#    moves on, still before the start.
ok t_cmp(book('m2', $T0 + 50 * 60), 202, 'M2 booked for T0 + 50 min');
$srv->advance_to($T0 + 35 * 60 + 2);
wait_soon(2);
ok t_cmp(soon_markers(), 'm1,m2', 'M2: its alert is posted');
sleep 2.5;
kill 'KILL', $pid2 if $pid2;
my $pid3 = wait_new_daemon($pid2);
ok t_cmp($pid2 && $pid3 ? 'restarted' : "pid $pid2 -> $pid3", 'restarted', 'killed again after M2\'s post, restarted again');
$srv->advance_to($T0 + 39 * 60);
sleep 3;
ok t_cmp(soon_markers(), 'm1,m2', 'M2: not posted again by the restarted daemon, 4 min later');

# 3. A meeting at T0 + 70 min (alert at T0 + 55 min): the server is stopped at T0 + 54 min and
#    started again at T0 + 60 min, after the alert time and before the start.
ok t_cmp(book('m3', $T0 + 70 * 60), 202, 'M3 booked for T0 + 70 min');
$srv->advance_to($T0 + 54 * 60);
ok t_cmp(stop_server(), 'stopped', 'the server is stopped before M3\'s alert time');
$srv->advance_to($T0 + 60 * 60);
$srv->start_again;
wait_soon(3);
ok t_cmp(soon_markers(), 'm1,m2,m3', 'M3: its alert is sent on recovery (5 min late, 10 min before the start)');
ok t_cmp(soon()->[-1]{text} // '', qr/^<!here> /, 'M3: with the booking category\'s mention');
sleep 2;
ok t_cmp(soon_markers(), 'm1,m2,m3', 'M3: once');

# 4. A meeting at T0 + 80 min (alert at T0 + 65 min): the server is stopped before its alert
#    time and started again after its start.
ok t_cmp(book('m4', $T0 + 80 * 60), 202, 'M4 booked for T0 + 80 min');
$srv->advance_to($T0 + 62 * 60);
ok t_cmp(stop_server(), 'stopped', 'the server is stopped before M4\'s alert time');
$srv->advance_to($T0 + 81 * 60);
$srv->start_again;
$r = wait_until(10, sub { my $x = reminders(); ($x->{skipped} // 0) >= 1 ? $x : undef }) // {};
ok t_cmp($r->{skipped} // 0, 1, 'M4: skipped on recovery, the meeting had started');
sleep 2;
ok t_cmp(soon_markers(), 'm1,m2,m3', 'M4: no alert after its start; M1-M3 not sent again');
my @why = $srv->log_lines(qr/NXS00120: 1 pre-meeting alert\(s\) skipped: the meeting had started/);
ok t_cmp(scalar(@why) >= 1 ? 'logged' : 'silent', 'logged', 'the skip is logged at debug (NXS00120)');

# 5. The status agrees: 3 sent, 1 skipped, none pending; Prometheus the same.
$r = reminders();
ok t_cmp(join(',', map { "$_=" . ($r->{$_} // 'null') } qw(pending next_due_at sent skipped)),
         'pending=0,next_due_at=null,sent=3,skipped=1', 'status: none pending, 3 sent, 1 skipped today');
my $prom = prometheus();
ok t_cmp($prom, qr/^nexte_slack_reminders_today\{state="sent"\} 3$/m, 'Prometheus: 3 alerts sent today');
ok t_cmp($prom, qr/^nexte_slack_reminders_today\{state="skipped"\} 1$/m, 'Prometheus: 1 skipped');
ok t_cmp($prom, qr/^nexte_slack_reminders_pending 0$/m, 'Prometheus: none pending');

$srv->stop;
