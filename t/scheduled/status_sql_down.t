# The status endpoint while the SQL store cannot be read (docs/SCHEDULED.md "Status": "When SQL
# cannot be read, scheduled is null and nexte_slack_scheduled_store_up is 0; the rest of the
# status still answers"; README "Status endpoint") on a server of its own under libfaketime
# (t/lib/NxsFaketime.pm): with a pending alert in SQL, the status shows it; then the SQLite file
# is made unreadable (mode 000) and the clock moved past mod_dbd's connection lifetime (DBDExptime,
# 300 s), so that every process must open a new connection and cannot: the status still answers
# 200 at once, "status" "ok" (it follows the delivery daemon, which answers), the daemon's counters
# are there, "scheduled" is null, Prometheus says nexte_slack_scheduled_store_up 0 with no
# scheduled sample; the chores thread says it cannot reach the store (NXS00058). Then the file is
# readable again: the same "scheduled" numbers, store_up 1, and the chores thread's rounds resume.
#
# Why not a lock: the module keeps SQLite in WAL mode, where readers go on while another
# connection holds BEGIN EXCLUSIVE (t/scheduled/alert.t uses it to refuse writes), and no
# connection can take the exclusive locking mode while the server's connections are open. Why the
# clock: mod_dbd keeps its connections open (each holds the file open), so a file made unreadable
# is noticed only by a connection opened after it, which happens when the pooled ones expire.
use strict;
use warnings FATAL => 'all';
use v5.36;

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use POSIX qw(floor);
use Time::HiRes qw(sleep time);
use NxsEvents qw(:all);
use NxsFaketime;

plan tests => 16, need_lwp;
binmode STDOUT, ':utf8';

my $srv = NxsFaketime->start('status_sql_down');
local $NxsClient::BASE = $srv->url;
my $DB = $srv->dir . '/nexte.sqlite';
my $mode = (stat $DB)[2] & 07777;
# The file readable again whatever happens, so that the server stops cleanly.
END { chmod $mode, $DB if $DB && defined $mode }

my $mock = mock();
my $CH = 'C0SCHEDSQ';
$mock->channel(id => $CH, team => 'T0MOCK01', name => 'sched-sqldown');
my $ACC = "acc_sch_sq_$$";
connect_account($ACC, categories => {booking => $CH});

# A fixed point of the day, far from midnight UTC, so that "today" in the status holds the
# whole test: the next 10:00:00 UTC.
my $T0 = do { my $n = floor($srv->now); my $d = $n - $n % 86400 + 10 * 3600; $d > $n + 60 ? $d : $d + 86400 };
$srv->advance_to($T0);

# Something in SQL to see in the status: a meeting at T0 + 2 h, its alert pending for T0 + 1 h 45.
my $ev = event('appointment.booked', account_id => $ACC, marker => 'sq1', occurred_at => $srv->iso($T0 - 60),
               record => {kind => 'appointment', id => "apt_sq_$$", url => "https://app.nexte.io/appointments/apt_sq_$$"},
               data => {starts_at => $srv->iso($T0 + 7200)});
my $code = post_event($ev, ts => floor($srv->now))->code;
wait_until(10, sub { ((status_json() // {})->{scheduled}{reminders}{pending} // 0) >= 1 });

sub get ($query = '') {
    my $t = time;
    my $res = new_ua(timeout => 30)->get($srv->url . "/nexte/status$query");
    return ($res, time - $t);
}
sub scheduled_of ($res) { my $j = json($res) // {}; exists $j->{scheduled} ? $j->{scheduled} // 'null' : 'absent' }
sub reminders_of ($s) { ref $s ? join(',', map { "$_=" . ($s->{reminders}{$_} // 'null') } qw(pending next_due_at)) : $s }
sub store_up ($text) { $text =~ /^nexte_slack_scheduled_store_up (\S+)$/m ? $1 : 'absent' }
sub rounds () { scalar $srv->log_lines(qr/NXS0006[01]: /) }

# --- the store readable: the alert is there
my ($res) = get();
my $before = reminders_of(scheduled_of($res));
ok t_cmp("$code $before", '202 pending=1,next_due_at=' . $srv->iso($T0 + 6300),
         'store readable: the booking\'s alert shows as pending in "scheduled"');
ok t_cmp(store_up((get('?format=prometheus'))[0]->content), 1, 'Prometheus: nexte_slack_scheduled_store_up 1');

# --- the store unreadable, and every pooled connection past its lifetime
ok t_cmp(chmod(0, $DB), 1, 'the SQLite file is made unreadable (mode 000)');
$srv->advance(330);
my $secs;
($res, $secs) = get();
my $j = json($res) // {};
ok t_cmp($res->code, 200, 'status: 200');
ok t_cmp($secs < 3 ? 'at once' : sprintf('%.1f s', $secs), 'at once', 'without waiting on the store');
ok t_cmp(scheduled_of($res), 'null', '"scheduled": null');
ok t_cmp(join(',', $j->{status} // '?', $j->{delivery_daemon_up} ? 'daemon up' : 'daemon down',
              defined $j->{counters}{queue_depth} ? 'counters' : 'no counters'),
         'ok,daemon up,counters', '"status": "ok" (the delivery daemon answers), with its counters');
($res, $secs) = get('?format=prometheus');
ok t_cmp($res->code . ' ' . store_up($res->content), '200 0', 'Prometheus: 200, nexte_slack_scheduled_store_up 0');
ok t_cmp(join(',', ($res->content =~ /^nexte_slack_(reminders_pending|delivery_daemon_up) (\S+)$/mg)),
         'delivery_daemon_up,1', 'Prometheus: the daemon up, no scheduled-work sample');
ok t_cmp(wait_until(10, sub { scalar $srv->log_lines(qr/NXS00058: /) }) ? 'logged' : 'silent', 'logged',
         'the chores thread cannot reach the store either (NXS00058)');
my $rounds = rounds();

# --- the store readable again
ok t_cmp(chmod($mode, $DB), 1, 'the SQLite file is readable again');
($res) = get();
ok t_cmp($res->code, 200, 'status: 200');
ok t_cmp(reminders_of(scheduled_of($res)), $before, '"scheduled" is back, with the same pending alert');
ok t_cmp((json($res) // {})->{status} // '?', 'ok', '"status": "ok"');
ok t_cmp(store_up((get('?format=prometheus'))[0]->content), 1, 'Prometheus: nexte_slack_scheduled_store_up 1');
# The chores thread tries again 10 s after a round that could not reach the store.
$srv->advance(15);
ok t_cmp(wait_until(10, sub { rounds() > $rounds }) ? 'resumed' : 'stuck', 'resumed', 'the chores thread\'s rounds resume');

$srv->stop;
