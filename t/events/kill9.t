# kill -9 of every httpd process (parent, children, delivery daemon) while Nexte core
# streams events over 10 channels of 5 accounts (docs/CONTRACT.md "Delivery" "Durable before 202", "at
# most one duplicate per message and only around a crash"). httpd is started again;
# every event answered 202 (or 200 duplicate on Nexte's retry) must reach Slack.
# Round 1 kills every process with a healthy Slack; round 2 the same with a slow Slack
# (250 ms per chat.postMessage) so that posts are in flight when the processes die: Slack
# stores such a message, the module never hears back, and re-sends it after the restart
# (the one allowed duplicate); round 3 kills the delivery daemon alone (slow Slack), which
# httpd's parent starts again while its children keep taking events.
# Prints "# kill9: accepted=N lost=L duplicated=D" per round. Accounts acc_k9_*.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use File::Spec;
use IO::Handle;
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

my $ROUNDS = 3;
plan tests => 3 + $ROUNDS * 11, need_lwp;

my $config = Apache::Test::config();
my $server = $config->server;
my $vars = $config->{vars};
my $logs = $vars->{t_logs};

my $mock = mock();
$mock->reset;

# 5 accounts x 2 categories = 10 channels (filler channels of the mock's T0MOCK01).
my (@routes, @channel_of_route);    # [account, event type], and the channel of each route
for my $n (1 .. 5) {
    my $acc = "acc_k9_$n";
    my ($c1, $c2) = (sprintf('C0FILL%03d', 2 * $n - 1), sprintf('C0FILL%03d', 2 * $n));
    connect_account($acc, categories => {payments => $c1, quotes => $c2});
    push @routes, [$acc, 'invoice.paid'], [$acc, 'quote.sent'];
    push @channel_of_route, $c1, $c2;
}


sub _state {    # a process's state letter (Z: a zombie not yet reaped)
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return undef;
    my $stat = <$fh> // '';
    return $stat =~ /\)\s+(\S)/ ? $1 : undef;
}


# Starts httpd again the way Apache-Test did (its stale pid file is dealt with by
# Apache::TestServer::start), with the chatter of start() kept out of the TAP stream.
sub restart_httpd {
    open my $saved, '>&', \*STDOUT or die "dup STDOUT: $!";
    open STDOUT, '>>', File::Spec->catfile($logs, 'kill9_restart.log') or die "restart log: $!";
    my $ok = eval { $server->start } || 0;
    STDOUT->flush;
    open STDOUT, '>&', $saved or die "restore STDOUT: $!";
    return $ok && wait_until(20, \&server_up, 0.2);
}

END {
    # Never leave the suite without its server.
    restart_httpd() if !server_up() && !httpd_pids();
}

ok t_cmp(server_up(), 1, 'the server is up before the first kill');
my $pids_seen = join ' ', httpd_pids();
ok t_cmp($pids_seen, qr/^\d+(?: \d+){2,}$/, 'found the httpd processes by their configuration file (parent, children, daemon)');

for my $round (1 .. $ROUNDS) {
    my $all_of_them = $round <= 2;
    $mock->mode(mode => 'slow', delay_ms => 250, method => 'chat.postMessage') if $round >= 2;
    my $t0 = time;
    my $stream = start_stream(routes => \@routes, prefix => "k$round", seconds => 4, rate => 12);
    # Two events of our own, acknowledged before the kill: Nexte core's retry after the
    # restart must be recognised as a duplicate (the idempotency keys are durable too).
    my @pre = map { event('invoice.paid', account_id => 'acc_k9_1', marker => "p$round-$_") } 1 .. 2;
    my @pre_codes = map { post_event($_)->code } @pre;
    sleep 1.5 + rand(1);    # kill at a random moment with messages queued and in flight
    my $daemon = counters()->{daemon}{pid} // 0;
    my @pids = httpd_pids();
    my %is = map { $_ => 1 } @pids;
    my $t_kill;
    if ($all_of_them) {
        # The daemon first, so that it dies by SIGKILL and not by the SIGTERM its parent's death would send.
        kill 'KILL', grep { $_ == $daemon } @pids;
        kill 'KILL', grep { $_ != $daemon } @pids;
        my $gone = wait_until(5, sub { !httpd_pids() });
        $t_kill = time - $t0;
        ok t_cmp($gone && $is{$daemon} ? 1 : 0, 1,
                 "round $round: kill -9 of all " . scalar(@pids) . " httpd processes, daemon (pid $daemon) included");
        my $up = restart_httpd();
        ok t_cmp($up ? 1 : 0, 1, sprintf('round %d: httpd started again (%.1f s after the kill)', $round, time - $t0 - $t_kill));
    } else {
        my $parent = $server->pid;
        kill 'KILL', $daemon;
        $t_kill = time - $t0;
        my $dead = wait_until(5, sub { !-e "/proc/$daemon" || (_state($daemon) // '') eq 'Z' });
        ok t_cmp($is{$daemon} && $dead ? 1 : 0, 1, "round $round: kill -9 of the delivery daemon alone (pid $daemon)");
        wait_until(10, sub { my $d = counters()->{daemon}{pid} // 0; $d && $d != $daemon });
        ok t_cmp($parent && kill(0, $parent) && $server->pid == $parent ? 1 : 0, 1,
                 sprintf('round %d: httpd\'s parent (pid %d) lives on and started a new daemon (%.1f s after the kill)',
                         $round, $parent, time - $t0 - $t_kill));
    }
    my $new_daemon = counters()->{daemon}{pid} // 0;
    ok t_cmp($new_daemon && $new_daemon != $daemon ? 1 : 0, 1, "round $round: a new delivery daemon (pid $new_daemon)");
    my @again = map { my $r = post_event($_); $r->code . ' ' . (json($r) // {})->{status} } @pre;
    ok t_cmp("@pre_codes | @again", '202 202 | 200 duplicate 200 duplicate',
             "round $round: events acknowledged before the kill are duplicates when Nexte retries them after the restart");

    # Let the sender finish its stream, then collect what it was told.
    my $got = finish_stream($stream);
    my %accepted = %{ $got->{accepted} };
    ok t_cmp(join('; ', @{ $got->{errors} }, @{ $got->{refused} }), '', "round $round: the sender ran to the end, no event refused");
    printf "#   round %d: the sender retried %d times while httpd was down (%s)\n", $round, $got->{retries},
        join(', ', map { "$_ x$got->{retry_codes}{$_}" } sort keys %{ $got->{retry_codes} }) || '-';

    # Wait until every accepted event has been posted (or 45 s pass).
    my @acc = sort keys %accepted;
    my %channels = map { ($channel_of_route[ $accepted{$_} ] => 1) } @acc;
    my $count_posted = sub {
        my %posted;
        for my $ch (keys %channels) {
            $posted{$_}++ for grep { defined && /^k$round-/ } map { marker_of($_) } @{ $mock->messages(channel => $ch) };
        }
        return \%posted;
    };
    my $all = wait_until(45, sub { my $p = $count_posted->(); (grep { !$p->{$_} } @acc) ? 0 : 1 }, 0.25);
    sleep 1.5;    # a late duplicate would show up now
    my $posted = $count_posted->();
    my @lost = grep { !$posted->{$_} } @acc;
    my %pre_posted;
    $pre_posted{ marker_of($_) // '?' }++ for @{ $mock->messages(channel => $channel_of_route[0]) };
    ok t_cmp(join(',', map { $pre_posted{"p$round-$_"} // 0 } 1 .. 2), qr/^[12],[12]$/,
             "round $round: those two were posted (once, or twice around the crash), not once more for the retry");
    my @dup = grep { $posted->{$_} > 1 } sort keys %$posted;
    my @unknown = grep { !exists $accepted{$_} } sort keys %$posted;
    printf STDERR "# kill9: accepted=%d lost=%d duplicated=%d\n", scalar @acc, scalar @lost, scalar @dup;
    printf "#   round %d: %s\n", $round, $all_of_them ? 'every httpd process killed' : 'the daemon alone killed';
    printf "#   round %d: killed at %.1f s; lost: %s; duplicated: %s; posted but never acknowledged: %s\n",
        $round, $t_kill, join(',', @lost) || '-', join(',', map { "$_ x$posted->{$_}" } @dup) || '-',
        join(',', @unknown) || '-';

    ok t_cmp(scalar(@acc) >= 15 ? 1 : 0, 1, "round $round: the sender had " . scalar(@acc) . ' events accepted');
    ok t_cmp(scalar @lost, 0, "round $round: lost=0 (every event answered 2xx reached Slack)");
    ok t_cmp(join(',', grep { $posted->{$_} > 2 } @dup), '', "round $round: no message posted more than twice");
    ok t_cmp(scalar(@dup) <= 4 ? 1 : 0, 1,
             "round $round: duplicates only around the crash (" . scalar(@dup) . ', at most one per in-flight message)');
    # Per channel, the first posting of each message is in the order the events were accepted.
    my @disorder;
    for my $ch (sort keys %channels) {
        my %first;
        my @order = grep { !$first{$_}++ } grep { defined && /^k$round-/ } map { marker_of($_) } @{ $mock->messages(channel => $ch) };
        my @nums = map { /-(\d+)$/ ? $1 : 0 } @order;
        push @disorder, "$ch: @order" if join(',', @nums) ne join(',', sort { $a <=> $b } @nums);
    }
    ok t_cmp(join(' | ', @disorder), '', "round $round: per channel, messages in the order they were accepted");
    printf "#   mock: %d rate violations so far (after a restart the new daemon's buckets start full)\n",
        $mock->stats->{rate_violations}{total};
    $mock->normal;
}

ok t_cmp(server_up(), 1, 'the server is running at the end (for the files after this one)');
