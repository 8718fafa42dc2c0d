# Per-channel FIFO under concurrent senders (docs/CONTRACT.md "Delivery"): 4 senders (processes) each post
# 5 events one after the other (each after the previous 202) for the same channel,
# while another account floods another channel. At the mock, each sender's messages
# are in its send order, none missing or doubled, and Slack's rate limit is never hit.
# Accounts acc_ord_*.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use IO::Handle;
use POSIX ();
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 17, need_lwp;

my $mock = mock();
$mock->reset;
my ($A, $F) = ('acc_ord_1', 'acc_ord_flood');
connect_account($A, categories => {payments => 'C0PAYMENTS'});
connect_account($F, categories => {quotes => 'C0QUOTES'});
my $before = counters();

my ($SENDERS, $EACH, $FLOOD) = (4, 5, 15);

# Each sender is a process that prints "marker code" for every event it posts.
sub spawn {
    my ($name, $code) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    STDOUT->flush;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        $w->autoflush(1);
        my $ok = eval { $code->($w); 1 };
        print $w "died $@\n" unless $ok;
        close $w;
        POSIX::_exit(0);    # no END blocks, no Apache::Test summary in the child
    }
    close $w;
    return {name => $name, pid => $pid, fh => $r};
}

my $t0 = time;
my @procs;
for my $s (1 .. $SENDERS) {
    push @procs, spawn("s$s", sub {
        my ($out) = @_;
        my $ua = new_ua();
        for my $i (1 .. $EACH) {
            my $res = post_event(event('invoice.paid', account_id => $A, marker => "s$s-$i"), ua => $ua);
            print $out "s$s-$i ", $res->code, "\n";
        }
    });
}
push @procs, spawn('flood', sub {
    my ($out) = @_;
    my $ua = new_ua();
    for my $i (1 .. $FLOOD) {
        my $res = post_event(event('quote.sent', account_id => $F, marker => "f-$i"), ua => $ua);
        print $out "f-$i ", $res->code, "\n";
    }
});
my (%code, @died);
for my $p (@procs) {
    my $fh = $p->{fh};
    while (my $line = <$fh>) {
        chomp $line;
        if ($line =~ /^died (.*)/) { push @died, "$p->{name}: $1"; next }
        my ($m, $c) = split / /, $line;
        $code{$m} = $c;
    }
    close $fh;
    waitpid $p->{pid}, 0;
}
printf "# all %d events posted in %.2f s\n", scalar(keys %code), time - $t0;
ok t_cmp(join('; ', @died), '', 'every sender ran to the end');
my @expected = ((map { my $s = $_; map { "s$s-$_" } 1 .. $EACH } 1 .. $SENDERS), map { "f-$_" } 1 .. $FLOOD);
ok t_cmp(scalar(grep { ($code{$_} // '') eq '202' } @expected), scalar @expected, 'every event was answered 202');

my $pay = wait_messages(channel => 'C0PAYMENTS', count => $SENDERS * $EACH, timeout => 45);
my $quo = wait_messages(channel => 'C0QUOTES', count => $FLOOD, timeout => 20);
sleep 1.5;    # anything doubled would show up now
$pay = $mock->messages(channel => 'C0PAYMENTS');
$quo = $mock->messages(channel => 'C0QUOTES');
printf "# delivered in %.1f s\n", time - $t0;
my @pm = @{ markers_of($pay) };
my @qm = @{ markers_of($quo) };
print "# C0PAYMENTS order: @pm\n";

ok t_cmp(scalar @pm, $SENDERS * $EACH, "C0PAYMENTS: $SENDERS x $EACH messages");
my %seen;
$seen{$_}++ for @pm;
ok t_cmp(join(',', grep { $seen{$_} > 1 } sort keys %seen), '', 'C0PAYMENTS: no message posted twice');
ok t_cmp(join(',', grep { !$seen{$_} } grep { /^s/ } @expected), '', 'C0PAYMENTS: no message missing');
for my $s (1 .. $SENDERS) {
    my @mine = grep { /^s$s-/ } @pm;
    ok t_cmp(join(',', @mine), join(',', map { "s$s-$_" } 1 .. $EACH), "sender $s: its messages in its send order");
}
ok t_cmp(join(',', @qm), join(',', map { "f-$_" } 1 .. $FLOOD), "flooded channel C0QUOTES: all $FLOOD, in order, once each");

# Both channels progressed at the same time: the flood did not wait behind C0PAYMENTS or vice versa.
my @pt = map { $_->{posted_ms} } @$pay;
my @qt = map { $_->{posted_ms} } @$quo;
ok t_cmp(@pt && @qt && $qt[0] < $pt[-1] && $pt[0] < $qt[-1] ? 1 : 0, 1, 'the two channels were served side by side');
# The module's own pacing: about 1 message per second per channel once the burst is spent.
my $span = @pt > 1 ? ($pt[-1] - $pt[0]) / 1000 : 0;
ok t_cmp($span >= ($SENDERS * $EACH - 3) * 0.9 ? 1 : 0, 1,
         sprintf('C0PAYMENTS: %d messages spread over %.1f s (about 1/s per channel)', scalar @pt, $span));

my $stats = $mock->stats;
ok t_cmp($stats->{rate_violations}{total}, 0, 'the mock counted no rate-limit violation');
ok t_cmp($stats->{http_429}{total}, 0, 'Slack never had to answer 429');
my $calls = $mock->calls(method => 'chat.postMessage');
ok t_cmp(scalar(grep { ($_->{status} // 0) != 200 || !$_->{response}{ok} } @$calls), 0, 'every chat.postMessage succeeded the first time');
my $after = counters();
ok t_cmp(($after->{delivered} // 0) - ($before->{delivered} // 0), $SENDERS * $EACH + $FLOOD, 'status: delivered counts them all');
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: the queue is empty again');
