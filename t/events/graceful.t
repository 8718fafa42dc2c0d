# apachectl graceful (SIGUSR1 to httpd's parent), twice (docs/CONTRACT.md "Delivery" "survive ... a restart
# or apachectl graceful"; ARCHITECTURE "Restarts": the old daemon lets in-flight posts
# finish and syncs, the new one replays).
#  1. A channel that has just spent its burst at Slack is not hit again too soon right
#     after the restart (docs/CONTRACT.md "Delivery" rate limits: about 1 message/s per channel).
#  2. While Nexte core streams events and Slack is slow (posts in flight): nothing
#     acknowledged is lost, nothing is posted twice, per-channel order holds.
#     Prints "# graceful: accepted=N lost=L duplicated=D".
# Accounts acc_gr_*.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 12, need_lwp;

my $config = Apache::Test::config();
my $pid_file = $config->{vars}{t_pid_file};

my $mock = mock();
$mock->reset;
my (@routes, @channel_of_route);
for my $n (1 .. 2) {
    my $acc = "acc_gr_$n";
    my ($c1, $c2) = (sprintf('C0FILL%03d', 20 + 2 * $n - 1), sprintf('C0FILL%03d', 20 + 2 * $n));
    connect_account($acc, categories => {payments => $c1, quotes => $c2});
    push @routes, [$acc, 'invoice.paid'], [$acc, 'quote.sent'];
    push @channel_of_route, $c1, $c2;
}
sub parent_pid { open my $fh, '<', $pid_file or return 0; my $p = <$fh> // 0; chomp $p; $p }

my $parent = parent_pid();

# ---------------------------------------------------------------- a busy channel across a graceful restart
connect_account('acc_gr_3', categories => {payments => 'C0FILL030'});
my $d0 = counters()->{daemon}{pid} // 0;
post_event(event('invoice.paid', account_id => 'acc_gr_3', marker => "gb-$_")) for 1 .. 6;
my $first3 = wait_messages(channel => 'C0FILL030', count => 3, timeout => 10);    # burst spent, 1/s since
kill 'USR1', $parent;
my $d1 = wait_until(15, sub { my $d = counters()->{daemon}{pid} // 0; $d && $d != $d0 ? $d : 0 }, 0.1);
ok t_cmp($d1 ? 1 : 0, 1, 'graceful restart 1: a new daemon');
my $busy = wait_messages(channel => 'C0FILL030', count => 6, timeout => 20);
sleep 1;
$busy = $mock->messages(channel => 'C0FILL030');
ok t_cmp(join(',', @{ markers_of($busy) }), join(',', map { "gb-$_" } 1 .. 6), 'the busy channel: all 6, in order, once each');
my @bt = map { $_->{posted_ms} / 1000 } @$busy;
printf "# busy channel posts at: %s s\n", join(' ', map { sprintf '%.2f', $_ - $bt[0] } @bt);
ok t_cmp($mock->stats->{rate_violations}{by_channel}{C0FILL030} // 0, 0,
         'the busy channel: no rate-limit violation (429) right after the restart');
my $tight = 0;
for my $i (3 .. $#bt) { $tight++ if $bt[$i] - $bt[$i - 3] < 1.0 }
ok t_cmp($tight, 0, 'the busy channel: never 4 posts within 1 s (Slack: 1/s per channel, short bursts)');

# ---------------------------------------------------------------- a stream across a graceful restart
my $daemon = counters()->{daemon}{pid} // 0;
my $violations0 = $mock->stats->{rate_violations}{total};
$mock->mode(mode => 'slow', delay_ms => 250, method => 'chat.postMessage');
my $t0 = time;
my $stream = start_stream(routes => \@routes, prefix => 'g', seconds => 3.5, rate => 10);
sleep 2;
my $pre = counters();
my ($in_flight, $waiting) = ($pre->{in_flight} // 0, $pre->{queue_depth} // 0);
kill 'USR1', $parent;
my $new = wait_until(15, sub { my $d = counters()->{daemon}{pid} // 0; $d && $d != $daemon ? $d : 0 }, 0.2);
printf "# graceful restart at %.1f s with %d messages queued, %d posts in flight; new daemon after %.1f s\n", 2, $waiting, $in_flight, time - $t0 - 2;
ok t_cmp($new ? 1 : 0, 1, "graceful restart 2: a new delivery daemon (pid $daemon -> " . ($new || 'none') . ')');
ok t_cmp(parent_pid(), $parent, 'the same httpd parent (a graceful restart, not a new server)');

my $got = finish_stream($stream);
my @acc = sort keys %{ $got->{accepted} };
ok t_cmp(join('; ', @{ $got->{errors} }, @{ $got->{refused} }), '', 'the sender ran to the end, no event refused');
printf "#   the sender retried %d times during the restart (%s)\n", $got->{retries},
    join(', ', map { "$_ x$got->{retry_codes}{$_}" } sort keys %{ $got->{retry_codes} }) || '-';
$mock->normal;

my %channels = map { ($channel_of_route[ $got->{accepted}{$_} ] => 1) } @acc;
my $posted_now = sub {
    my %posted;
    for my $ch (keys %channels) {
        $posted{$_}++ for grep { defined && /^g-/ } map { marker_of($_) } @{ $mock->messages(channel => $ch) };
    }
    return \%posted;
};
wait_until(30, sub { my $p = $posted_now->(); (grep { !$p->{$_} } @acc) ? 0 : 1 }, 0.25);
sleep 1.5;
my $posted = $posted_now->();
my @lost = grep { !$posted->{$_} } @acc;
my @dup = grep { $posted->{$_} > 1 } sort keys %$posted;
printf "# graceful: accepted=%d lost=%d duplicated=%d\n", scalar @acc, scalar @lost, scalar @dup;
printf "#   lost: %s; duplicated: %s\n", join(',', @lost) || '-', join(',', @dup) || '-';
ok t_cmp(scalar(@acc) >= 20 ? 1 : 0, 1, scalar(@acc) . ' events accepted around the restart');
ok t_cmp(scalar @lost, 0, 'lost=0');
ok t_cmp(scalar @dup, 0, 'duplicated=0 (in-flight posts finish before the old daemon exits)');
my @disorder;
for my $ch (sort keys %channels) {
    my @nums = map { /-(\d+)$/ ? $1 : 0 } grep { defined && /^g-/ } map { marker_of($_) } @{ $mock->messages(channel => $ch) };
    push @disorder, "$ch: @nums" if join(',', @nums) ne join(',', sort { $a <=> $b } @nums);
}
ok t_cmp(join(' | ', @disorder), '', 'per channel, in the order accepted');
printf "#   stream: %d rate-limit violations at the mock across the restart\n", $mock->stats->{rate_violations}{total} - $violations0;
my $c = counters();
ok t_cmp(join(',', map { $c->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'the new daemon\'s queue is empty at the end');
