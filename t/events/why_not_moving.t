# Why a channel is not moving, from the error_log alone (README "Logging"): with
# `LogLevel nexte_slack:trace2` (t/conf/extra.conf.in), an operator reads, tagged and
# naming the account and the channel, that a channel is backing off until a given time
# after a given error, paused by a Retry-After, or waiting for its rate limit, while
# another channel of the same account moves; and no token or secret appears anywhere
# in the error_log. Account acc_why_1 (C0FILL081 payments, C0FILL082 alerts).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use File::Spec;
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

plan tests => 16, need_lwp;

my $logs = Apache::Test::config()->{vars}{t_logs};
my $ERROR_LOG = File::Spec->catfile($logs, 'error_log');
my $ACC = 'acc_why_1';
my ($CH_PAY, $CH_ALR) = ('C0FILL081', 'C0FILL082');
my $TIME = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z, in \d+\.\d{3} s/;

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return '';
    local $/;
    return <$fh> // '';
}

sub error_log_since {
    my ($offset) = @_;
    my $d = slurp($ERROR_LOG);
    return length $d > $offset ? substr($d, $offset) : '';
}

# The lines of LOG with TAG that name CHANNEL, joined (t_cmp shows them on failure).
sub tagged {
    my ($log, $tag, $channel) = @_;
    return join "\n", grep { /\b\Q$tag\E: / && (!defined $channel || /\Q$channel\E/) } split /\n/, $log;
}

sub posted {
    my ($channel) = @_;
    return [grep { /^why-/ } @{ markers_of(mock()->messages(channel => $channel)) }];
}

my $mock = mock();
$mock->reset;
connect_account($ACC, categories => {payments => $CH_PAY, alerts => $CH_ALR});

# ---- one channel failing: it backs off, the other channel moves ---------------------------
my $offset = -s $ERROR_LOG // 0;
$mock->mode(mode => 'unavailable', channel => $CH_PAY);
my @codes;
push @codes, post_event(event('invoice.paid', account_id => $ACC, marker => "why-p$_"))->code for 1 .. 2;
push @codes, post_event(event('invoice.overdue', account_id => $ACC, marker => 'why-a1', data => {days_overdue => 12}))->code;
ok t_cmp("@codes", '202 202 202', 'events for both channels accepted');
wait_messages(channel => $CH_ALR, count => 1, timeout => 10);
sleep 1.5;    # a few 503s and backoffs of the failing channel (100 ms .. 2 s)
ok t_cmp("@{ posted($CH_ALR) }", 'why-a1', "$CH_ALR moves while $CH_PAY fails");
ok t_cmp(scalar @{ posted($CH_PAY) }, 0, "$CH_PAY does not move");

my $log = error_log_since($offset);
ok t_cmp(tagged($log, 'NXS00028', $CH_PAY),
         qr/NXS00028: channel \Q$CH_PAY\E \(account \Q$ACC\E, team T0MOCK01\): backing off until $TIME after http_503 \(try \d+ of message \d+\), 2 waiting/,
         'debug: the failing channel is backing off until a time, after http_503 (try n)');
ok t_cmp(tagged($log, 'NXS00052', $CH_PAY),
         qr/message \d+ for channel \Q$CH_PAY\E \(account \Q$ACC\E, team T0MOCK01\): http_503; retry scheduled/,
         'debug: the delivery decision names the channel, the error and the retry');
ok t_cmp(tagged($log, 'NXS00039'), qr/Slack chat\.postMessage: HTTP 503, http_503, in \d+ ms/,
         'trace1: the Slack call with its method, HTTP status, error and duration');
ok t_cmp(tagged($log, 'NXS00021', $CH_PAY),
         qr/nothing to hand out: \d+ waiting, 0 in flight, 0 accounts held; the first ready is channel \Q$CH_PAY\E \(account \Q$ACC\E, team T0MOCK01\): backing off until $TIME/,
         'trace2: the dispatcher says what it waits for');
ok t_cmp(tagged($log, 'NXS00054', $CH_ALR), qr/message \d+ posted to channel \Q$CH_ALR\E \(account \Q$ACC\E, team T0MOCK01\): ts \d+\.\d+/,
         'trace1: the other channel\'s message posted, with its ts');

$mock->normal;
wait_until(10, sub { @{ posted($CH_PAY) } >= 2 }, 0.2);
ok t_cmp("@{ posted($CH_PAY) }", 'why-p1 why-p2', "$CH_PAY delivers once Slack answers again");

# ---- a 429 on one channel: paused by Retry-After ------------------------------------------
$offset = -s $ERROR_LOG // 0;
$mock->mode(mode => 'ratelimit', retry_after => 2, channel => $CH_ALR, count => 1);
post_event(event('invoice.overdue', account_id => $ACC, marker => 'why-a2', data => {days_overdue => 13}));
wait_until(10, sub { @{ posted($CH_ALR) } >= 2 }, 0.2);
ok t_cmp("@{ posted($CH_ALR) }", 'why-a1 why-a2', 'the rate-limited message is delivered after its Retry-After');
$log = error_log_since($offset);
ok t_cmp(tagged($log, 'NXS00027', $CH_ALR),
         qr/NXS00027: channel \Q$CH_ALR\E \(account \Q$ACC\E, team T0MOCK01\): paused by Retry-After until $TIME after ratelimited on message \d+/,
         'debug: paused by Retry-After until a time, after ratelimited');
ok t_cmp(tagged($log, 'NXS00038'), qr/Slack chat\.postMessage: HTTP 429, ratelimited, Retry-After 2 s, in \d+ ms/,
         'trace1: the 429 with its Retry-After');

# ---- a burst past the channel's bucket: rate-limited until --------------------------------
$offset = -s $ERROR_LOG // 0;
post_event(event('invoice.overdue', account_id => $ACC, marker => "why-b$_", data => {days_overdue => 14}))
    for 1 .. 4;
wait_until(15, sub { @{ posted($CH_ALR) } >= 6 }, 0.2);
ok t_cmp("@{ posted($CH_ALR) }", 'why-a1 why-a2 why-b1 why-b2 why-b3 why-b4', 'the burst is delivered in order');
$log = error_log_since($offset);
my $waits = join "\n", grep { /\bNXS000(20|21|26): / && /\Q$CH_ALR\E/ && /rate-limited until $TIME/ } split /\n/, $log;
ok t_cmp($waits, qr/channel \Q$CH_ALR\E \(account \Q$ACC\E, team T0MOCK01\).*rate-limited until $TIME/,
         'trace2: the channel waits for its rate limit until a time');

# ---- nothing secret, anywhere in the error_log --------------------------------------------
my $all = slurp($ERROR_LOG);
my @tokens = grep { defined && length } map { ($_->{token}, $_->{refresh_token}) } @{ $mock->tokens(team => 'T0MOCK01') };
my @found = grep { index($all, $_) >= 0 } @tokens, 'mock-client-secret', 'mock-signing-secret',
    slurp(File::Spec->catfile($ENV{NXS_FIXTURES} // 't/fixtures', 'keys', 'event_secret')) =~ s/\s+\z//r;
ok t_cmp(scalar(@tokens) > 0 && length($all) > 0 ? 1 : 0, 1, 'tokens to look for: ' . scalar(@tokens));
ok t_cmp(join(' ', @found, ($all =~ /(xox[a-z]-[\w.-]*|xoxe\.\S*|Authorization:[^\n]*)/g)), '',
         'no token, client or signing secret, event secret or Authorization header in the error_log');
