# A damaged queue on disk (docs/CONTRACT.md "Reliability and security tests" "corrupted queue file (detected, reported, no crash)"):
# a corrupt queue file is detected, reported, moved aside, and service continues.
# Case 1: with Slack down, 3 events are queued, then 5 padding events to another channel
# (3 events alone make a segment of about 3.6 KB, which 4 KiB of garbage would cover to its
# end: a torn tail, not a corrupt middle); httpd is stopped cleanly; 4 KiB of garbage are
# written over the segment holding them, from the end of the first event's records (after
# the segment's first record), with intact records after the garbage; the GDBM snapshot
# nexte_queue.dbm is replaced by garbage (created as garbage when there was none yet, so
# that the unreadable-snapshot path is always taken); httpd is started again. The delivery
# daemon must come up, the error_log must report the DAMAGE and both files moved aside, the
# .corrupt- files must be in t/logs, and new events must be accepted and delivered.
# Records before the corrupt point are kept: how many of the 3 came through is printed on
# STDERR ("# corrupt_queue: survivors=N of 3 ..."), not asserted.
# Case 2: 3 more events queued, clean stop, the segment holding them truncated in the
# middle of its last record (a torn tail); after the restart the error_log reports the cut
# and every message before the torn record is delivered.
# Ends with httpd running and the mock in normal mode. Account acc_cq_1 (C0FILL071/072).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use File::Spec;
use IO::Handle;
use Fcntl qw(O_WRONLY O_CREAT O_TRUNC SEEK_SET);
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 26, need_lwp;

my $config = Apache::Test::config();
my $server = $config->server;
my $vars = $config->{vars};
my $logs = $vars->{t_logs};
my $QUEUE = File::Spec->catfile($logs, 'nexte_queue');
my $ERROR_LOG = File::Spec->catfile($logs, 'error_log');
my $RESTART_LOG = File::Spec->catfile($logs, 'corrupt_queue_restart.log');

my $ACC = 'acc_cq_1';
my ($CH_PAY, $CH_QUO) = ('C0FILL071', 'C0FILL072');
my $t_start = time;

my $mock = mock();
$mock->reset;
connect_account($ACC, categories => {payments => $CH_PAY, quotes => $CH_QUO});

# ---- helpers -------------------------------------------------------------------------



sub daemon_up {
    my $st = eval { status_json() } // {};
    return $st->{delivery_daemon_up} ? 1 : 0;
}

# Runs CODE with Apache::TestServer's chatter kept out of the TAP stream.
sub quietly {
    my ($code) = @_;
    open my $saved, '>&', \*STDOUT or die "dup STDOUT: $!";
    open STDOUT, '>>', $RESTART_LOG or die "restart log: $!";
    my $ok = eval { $code->() } || 0;
    my $err = $@;
    STDOUT->flush;
    open STDOUT, '>&', $saved or die "restore STDOUT: $!";
    print "#   ($err)\n" if $err;
    return $ok;
}

# A clean stop (SIGTERM to the parent), then wait until every process has gone (the
# delivery daemon closes the queue on its way out, so the files are only touched after).
sub stop_httpd {
    quietly(sub { $server->stop; 1 });
    return wait_until(20, sub { !httpd_pids() }, 0.1) ? 1 : 0;
}

sub start_httpd {
    my $ok = quietly(sub { $server->start });
    return $ok && wait_until(20, \&server_up, 0.2) ? 1 : 0;
}

END {
    # Never leave the suite without its server, nor with Slack down.
    start_httpd() if !server_up() && !httpd_pids();
    eval { mock()->normal };
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return undef;
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d // '';
}

# What the error_log got after byte OFFSET.
sub error_log_since {
    my ($offset) = @_;
    my $d = slurp($ERROR_LOG) // '';
    return length $d > $offset ? substr($d, $offset) : '';
}

sub segments {    # [number, path] of every log segment, oldest first
    my $dir = $logs;
    opendir my $dh, $dir or die "$dir: $!";
    my @s = map { /^nexte_queue\.log\.(\d+)$/ ? [$1, File::Spec->catfile($dir, $_)] : () } readdir $dh;
    closedir $dh;
    return sort { $a->[0] <=> $b->[0] } @s;
}

sub corrupt_files {
    opendir my $dh, $logs or die "$logs: $!";
    my @f = sort grep { /^nexte_queue\..*\.corrupt-\d+/ } readdir $dh;
    closedir $dh;
    return @f;
}

# The frames of a log segment (mod_nexte_slack/core/queue/nxs_queue_int.h): magic "NXQ2" | u32
# body length | u32 CRC32C | u8 type (0x80: last frame of its group) | body. Grouped: the
# frames of one append end with the one that has 0x80. Each group lists the markers of
# its ENQUEUE frames (type 2) of messages matching RE.
sub layout {
    my ($file, $re) = @_;
    my $d = slurp($file) // '';
    my (@frames, @groups);
    my $off = 0;
    my $cur;
    while ($off + 13 <= length $d && substr($d, $off, 4) eq 'NXQ2') {
        my ($len, $crc, $type) = unpack 'V V C', substr($d, $off + 4, 9);
        last if $off + 13 + $len > length $d;
        my $f = {off => $off, len => 13 + $len, type => $type & 0x7f, end => $type & 0x80 ? 1 : 0};
        # An event's scheduled work (category @scheduled-work) carries the envelope, and so
        # the marker, too: only message records say what Slack will get.
        if ($f->{type} == 2 && index(substr($d, $off + 13, $len), '@scheduled-work') < 0) {
            my %seen;
            $f->{markers} = [grep { !$seen{$_}++ } substr($d, $off + 13, $len) =~ /R-($re)\b/g];
        }
        push @frames, $f;
        $cur //= {off => $off, frames => [], markers => []};
        push @{ $cur->{frames} }, $f;
        push @{ $cur->{markers} }, @{ $f->{markers} // [] };
        if ($f->{end}) {
            $cur->{end} = $off + $f->{len};
            push @groups, $cur;
            undef $cur;
        }
        $off += 13 + $len;
    }
    return {size => length $d, parsed => $off, frames => \@frames, groups => \@groups};
}

# The newest segment holding an ENQUEUE with a marker matching RE: [path, layout].
sub segment_with {
    my ($re) = @_;
    for my $s (reverse segments()) {
        my $l = layout($s->[1], $re);
        return [$s->[1], $l] if grep { @{ $_->{markers} } } @{ $l->{groups} };
    }
    return [undef, undef];
}

sub garbage {
    my ($seed, $n) = @_;
    srand $seed;
    my $g = join '', map { chr int rand 256 } 1 .. $n;
    $g =~ s/NXQ2/nxq2/g;
    return $g;
}

sub overwrite {    # writes DATA at OFFSET of FILE, in place (TRUNC: the file holds DATA only)
    my ($file, $offset, $data, $trunc) = @_;
    sysopen my $fh, $file, O_WRONLY | ($trunc ? O_CREAT | O_TRUNC : 0), 0600 or die "$file: $!";
    binmode $fh;
    sysseek $fh, $offset, SEEK_SET or die "seek $file: $!";
    my $w = syswrite $fh, $data;
    die "write $file: $!" unless defined $w && $w == length $data;
    close $fh or die "close $file: $!";
}

# Markers (prefix PREFIX) posted so far in CHANNEL, in posting order.
sub posted {
    my ($channel, $prefix) = @_;
    return [grep { defined && /^\Q$prefix\E-/ } map { marker_of($_) } @{ $mock->messages(channel => $channel) }];
}

# ---- case 1: a corrupt segment middle and an unreadable snapshot ----------------------------

ok t_cmp(daemon_up(), 1, 'the server and its delivery daemon are up before the damage');

$mock->mode(mode => 'outage');
my @pre = map { "cq1-$_" } 1 .. 3;
my @codes = map { post_event(event('invoice.paid', account_id => $ACC, marker => $_))->code } @pre;
# Three events make a segment of about 3.6 KB: 4 KiB of garbage would reach its end, which
# is a torn tail, not a corrupt middle. Padding events to another channel follow them so
# that intact records come after the garbage.
my @pad = map { "cqp-$_" } 1 .. 5;
my @pad_codes = map { post_event(event('quote.sent', account_id => $ACC, marker => $_))->code } @pad;
ok t_cmp("@codes | @pad_codes", '202 202 202 | 202 202 202 202 202',
         'case 1: with Slack down, 3 events (and 5 padding events after them) are accepted (202) and stay queued');
sleep 0.5;

my $log_offset = -s $ERROR_LOG // 0;
my @corrupt_before = corrupt_files();
my $daemon_before = counters()->{daemon}{pid} // 0;
ok t_cmp(stop_httpd(), 1, 'case 1: httpd stopped cleanly (every process gone)');

my ($seg1, $l1) = @{ segment_with(qr/cq1-\d+|cqp-\d+/) };
my ($g_at, $expect_kept, $valid_after) = (undef, 0, 0);
if ($seg1) {
    my @g = @{ $l1->{groups} };
    # The garbage starts at a group boundary after the first record (the segment's
    # header): after the first of our events when the segment is long enough for 4 KiB
    # of garbage with intact records after it, else right after the header.
    my @starts = map { $_->{end} } grep { "@{ $_->{markers} }" =~ /cq1-/ } @g;    # ends of our event groups
    unshift @starts, $g[0]{end};                                      # the end of the header
    my @cand = grep { my $s = $_; grep { $_->{off} >= $s + 4096 } @{ $l1->{frames} } }
               grep { defined } @starts[0, 1];
    $g_at = $cand[-1];
    if (defined $g_at) {
        $valid_after = grep { $_->{off} >= $g_at + 4096 } @{ $l1->{frames} };
        $expect_kept = grep { $_->{end} <= $g_at } grep { "@{ $_->{markers} }" =~ /cq1-/ } @g;
        overwrite($seg1, $g_at, garbage(13, 4096));
    }
    printf "#   case 1: %s: %d bytes, %d frames in %d groups; garbage at %s..+4096, %d intact frames after it\n",
        $seg1, $l1->{size}, scalar @{ $l1->{frames} }, scalar @g, $g_at // '-', $valid_after;
}
ok t_cmp(defined $g_at && $valid_after > 0 ? 1 : 0, 1,
         'case 1: 4 KiB of garbage written over the middle of the segment holding the events (intact records after it)');
my $dbm = "$QUEUE.dbm";
my $had_dbm = -e $dbm ? 1 : 0;
my $dbm_garbage = garbage(17, 8192);
overwrite($dbm, 0, $dbm_garbage, 1);
print "#   case 1: nexte_queue.dbm ", $had_dbm ? 'replaced by' : 'was absent; created with', " 8 KiB of garbage\n";

my $t_restart = time;
my $up = start_httpd();
my $dup = $up && wait_until(15, \&daemon_up, 0.2);
ok t_cmp($dup ? 1 : 0, 1, sprintf('case 1: httpd started again and /nexte/status says delivery_daemon_up (%.1f s)', time - $t_restart));
my $daemon1 = counters()->{daemon}{pid} // 0;
ok t_cmp($daemon1 && $daemon1 != $daemon_before ? 1 : 0, 1, "case 1: a new delivery daemon (pid $daemon1) runs on the damaged queue");

# Only the lines of the delivery queue's recovery (t_cmp shows what it compared).
my $log1 = error_log_since($log_offset);
my $rec1 = join "\n", map { s/^.*?(queue recovery: )/$1/r } grep { /queue recovery: / } split /\n/, $log1;
ok t_cmp($rec1, qr/queue recovery: DAMAGE found: snapshot unreadable \(moved aside\), \d+ bad snapshot values, 1 corrupt segment\(s\) \(\d+ bytes not replayed\)/,
         'case 1: error_log reports the DAMAGE (unreadable snapshot, 1 corrupt segment)');
my $segname = $seg1 ? (File::Spec->splitpath($seg1))[2] : 'nexte_queue.log.?';
ok t_cmp($rec1, qr/queue recovery: damaged file moved aside: \S*\Q$segname\E\.corrupt-\d+/,
         "case 1: error_log: the damaged segment ($segname) moved aside");
ok t_cmp($rec1, qr/queue recovery: damaged file moved aside: \S*nexte_queue\.dbm\.corrupt-\d+/,
         'case 1: error_log: the unreadable snapshot moved aside');
my %old = map { $_ => 1 } @corrupt_before;
my @new_corrupt = grep { !$old{$_} } corrupt_files();
ok t_cmp(join(' ', map { s/\.corrupt-.*//r } @new_corrupt), join(' ', sort "$segname", 'nexte_queue.dbm'),
         'case 1: the segment and the snapshot are kept in t/logs as .corrupt-<time> files (' . join(' ', @new_corrupt) . ')');
ok t_cmp(join(' ', grep { /exit signal|cannot open the delivery queue|delivery daemon cannot start|queue append failed/ } split /\n/, $log1), '',
         'case 1: no crash, no failure to open the queue in the error_log');
ok t_cmp((-e $seg1 ? 'damaged segment still there' : 'gone') . ', ' . (-e $dbm && slurp($dbm) ne $dbm_garbage ? 'new snapshot' : 'no new snapshot'),
         'gone, new snapshot', 'case 1: the checkpoint run by recovery replaced the damaged segment by a fresh snapshot');

# Service continues: new events are accepted while Slack is still down, and delivered
# (with the survivors) once it is back.
my @new = map { "cqn-$_" } 1 .. 2;
@codes = map { post_event(event('quote.sent', account_id => $ACC, marker => $_))->code } @new;
ok t_cmp("@codes", '202 202', 'case 1: after the restart new events are accepted (202)');
my $again = post_event(event('invoice.paid', account_id => $ACC, marker => 'cqn-3'));
ok t_cmp($again->code, 202, 'case 1: ... and one more to the channel of the damaged messages');
$mock->normal;
# Buckets start empty after a restart: about one message a second per channel.
wait_until(15, sub { @{ posted($CH_QUO, 'cqn') } >= 2 && @{ posted($CH_PAY, 'cqn') } >= 1 }, 0.25);
sleep 1;    # stragglers, duplicates
my $quo = posted($CH_QUO, 'cqn');
my $pay = posted($CH_PAY, 'cqn');
ok t_cmp("@$quo", "@new", 'case 1: the new events are delivered once Slack is back');
ok t_cmp("@$pay", 'cqn-3', 'case 1: ... on the damaged messages\' channel too');
my @survivors = @{ posted($CH_PAY, 'cq1') };
my @pad_survivors = @{ posted($CH_QUO, 'cqp') };
printf STDERR "# corrupt_queue: survivors=%d of 3 (%s), %d were before the corrupt point; padding events surviving: %d of 5 (%s)\n",
    scalar @survivors, join(',', @survivors) || '-', $expect_kept, scalar @pad_survivors, join(',', @pad_survivors) || '-';
printf "#   case 1: queue depth now %s\n", counters()->{queue_depth} // '?';
ok t_cmp((counters()->{daemon}{pid} // 0), $daemon1, 'case 1: the daemon is still the same process after delivering (no crash)');

# ---- case 2: a torn tail ----------------------------------------------------------------------

$mock->mode(mode => 'outage');
my @pre2 = map { "cq2-$_" } 1 .. 3;
@codes = map { post_event(event('invoice.paid', account_id => $ACC, marker => $_))->code } @pre2;
ok t_cmp("@codes", '202 202 202', 'case 2: with Slack down, 3 events are accepted (202)');
sleep 0.6;
$log_offset = -s $ERROR_LOG // 0;
ok t_cmp(stop_httpd(), 1, 'case 2: httpd stopped cleanly');
my ($seg2, $l2) = @{ segment_with(qr/cq2-\d+/) };
my ($cut_at, $torn_bytes, @expect2);
if ($seg2 && $l2->{parsed} == $l2->{size} && @{ $l2->{groups} } >= 2) {
    my $last = $l2->{frames}[-1];
    my $last_group = $l2->{groups}[-1];
    $cut_at = $last->{off} + int($last->{len} / 2);
    $torn_bytes = $cut_at - $last_group->{off};
    @expect2 = map { @{ $_->{markers} } } @{ $l2->{groups} }[0 .. $#{ $l2->{groups} } - 1];
    truncate $seg2, $cut_at or die "truncate $seg2: $!";
    printf "#   case 2: %s: %d bytes; last record (type %d, %d bytes) at %d cut at %d; kept before it: %s\n",
        $seg2, $l2->{size}, $last->{type}, $last->{len}, $last->{off}, $cut_at, join(',', @expect2) || '-';
}
ok t_cmp(defined $cut_at ? 1 : 0, 1, 'case 2: the segment holding the events truncated in the middle of its last record');

$t_restart = time;
$up = start_httpd();
$dup = $up && wait_until(15, \&daemon_up, 0.2);
ok t_cmp($dup ? 1 : 0, 1, sprintf('case 2: httpd started again, delivery_daemon_up (%.1f s)', time - $t_restart));
my $log2 = error_log_since($log_offset);
my $rec2 = join "\n", map { s/^.*?(queue recovery: )/$1/r } grep { /queue recovery: / } split /\n/, $log2;
my $tb = $torn_bytes // '?';
ok t_cmp($rec2, qr/queue recovery: cut 1 torn log tail\(s\), \Q$tb\E bytes/,
         "case 2: error_log reports the torn tail cut ($tb bytes)");
ok t_cmp(join(' ', grep { /DAMAGE|moved aside|exit signal|cannot open the delivery queue|delivery daemon cannot start/ } split /\n/, $log2), '',
         'case 2: a torn tail is not reported as damage, no crash');
my $daemon2 = counters()->{daemon}{pid} // 0;
my $after = post_event(event('quote.sent', account_id => $ACC, marker => 'cq2-n1'));
$mock->normal;
wait_until(10, sub { @{ posted($CH_PAY, 'cq2') } >= @expect2 && @{ posted($CH_QUO, 'cq2') } >= 1 }, 0.25);
sleep 1;
my $pay2 = posted($CH_PAY, 'cq2');
ok t_cmp("@$pay2", "@expect2", 'case 2: every message before the torn record is delivered, in order, once (' . scalar(@expect2) . ')');
ok t_cmp($after->code . ' ' . join(',', @{ posted($CH_QUO, 'cq2') }), '202 cq2-n1', 'case 2: a new event is accepted and delivered');
ok t_cmp(daemon_up() && (counters()->{daemon}{pid} // 0) == $daemon2 ? 1 : 0, 1,
         sprintf('the server is running at the end with the same delivery daemon, the mock back to normal (%.1f s in all)', time - $t_start));
