# The Agency plan's filters applied at ingest (docs/CONTRACT.md "Routing and filters",
# docs/FILTERS.md "In what order"; README "PUT api/filters", the events handler's 202 answers and
# the status endpoint), through the server and the mock Slack. Filters are PUT through the
# settings API: a payments threshold of 500.00 (and one on alerts, to show an amountless event),
# a channel for client cli_x and one for project prj_y, a member filter on quotes. It shows:
#   - the threshold posts only amounts above it (120.00 and 500.00 EUR answer 202 deliveries 0
#     reason below_threshold and post nothing; 900.00 posts in the payments channel), by size (a
#     refund of -600.00 posts, -120.00 does not), in the account's currency only (120.00 USD
#     posts); an event without an amount is never filtered (integration.error under an alerts
#     threshold posts); payment.failed without an amount is not filtered either, so it is
#     rendered and refused 422 naming amount (the message needs it, docs/RENDERING.md "Per type");
#   - a client's channel replaces the category's, with the category's mention (<!here> for
#     payments, none for quotes); a project's channel wins over its client's; a client's channel
#     does not bypass the threshold; an unmapped category stays category_unmapped even for a
#     client or project with a channel;
#   - the member filter posts only its members' events (mem_2 and no member: member_filtered);
#   - after a downgrade to team (account.updated) the filters no longer apply (the 120.00 posts,
#     in the category's channel) and GET api/filters still returns them (kept, applied false);
#   - counters.not_posted{reason} of the status JSON grew by exactly what this file sent (read
#     before and after: the suite's server is shared), and Prometheus'
#     nexte_slack_not_posted_total{reason="..."} lines say the same.
# Not here: active hours (holding and the morning summary need a moved clock), and that the daily
# recap counts filtered events too: that needs the clock moved to 09:00 the next day (an httpd of
# its own under t/lib/NxsFaketime.pm, as t/scheduled/recap.t does), so it is left to another test.
# Account acc_flt_<pid>_<time>, unique per run; channels C0FLTCLIENT and C0FLTPROJECT are
# created at the mock.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use Time::HiRes qw(time sleep);
use NxsClient qw(api);
use NxsEvents qw(:all);

plan tests => 51, need_lwp;
binmode STDOUT, ':utf8';

my $mock = mock();
$mock->reset;
my ($C_CLIENT, $C_PROJECT) = ('C0FLTCLIENT', 'C0FLTPROJECT');
$mock->channel(id => $_, team => 'T0MOCK01', name => lc($_), is_member => JSON::PP::true) for $C_CLIENT, $C_PROJECT;

my $A = sprintf 'acc_flt_%d_%d', $$, int(time * 1000) % 1_000_000_000;
my %channel = (payments => 'C0PAYMENTS', quotes => 'C0QUOTES', alerts => 'C0ALERTS');    # contacts unmapped
my $b = connect_account($A, categories => \%channel, mentions => {payments => 'here'},
                        account => {plan => 'agency', currency => 'EUR', timezone => 'UTC', locale => 'en'});

my $canon = JSON::PP->new->canonical;
my $doc = {
    amount_thresholds => {payments => '500.00', alerts => '500.00'},
    client_channels   => {cli_x => $C_CLIENT},
    project_channels  => {prj_y => $C_PROJECT},
    members           => {quotes => ['mem_1']},
};
my $res = api($b, PUT => 'filters', $doc);
ok t_cmp($res->code . ' ' . ((json($res) // {})->{applied} ? 'applied' : 'not applied'), '200 applied',
         'PUT api/filters on the Agency plan: 200, applied');

sub answer { my $j = json($_[0]) // {}; join ' ', $_[0]->code, map { "$_=" . ($j->{$_} // '-') } qw(status deliveries reason) }
sub money { {value => $_[0], currency => $_[1] // 'EUR'} }
my $CLI = {id => 'cli_x', name => 'Client X'};
my $PRJ = {id => 'prj_y', name => 'Project Y'};

my $before = counters();
my $accepted = 0;
# Posts EV; checks the answer against WANT ('posted' = 202 queued 1, or a reason). Returns the response.
sub send_ok {
    my ($ev, $want, $name) = @_;
    my $r = post_event($ev);
    $accepted++ if $r->code == 202;
    my $expect = $want eq 'posted' ? '202 status=queued deliveries=1 reason=-' : "202 status=queued deliveries=0 reason=$want";
    ok t_cmp(answer($r), $expect, $name);
    return $r;
}
my %where;    # marker => the channel it must be posted in (undef: nowhere)
# The marker of a message, from its text or its blocks (a refund's text shows the amount, not
# the invoice number that carries the marker).
sub flt_marker {
    my ($m) = @_;
    return marker_of($m) // ($canon->encode($m->{blocks} // []) =~ /\bR-(flt-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)/ ? $1 : undef);
}

# ---------------------------------------------------------------- threshold (payments, 500.00 EUR)
my $low = event('invoice.paid', account_id => $A, marker => 'flt-low', amount => money('120.00'));
send_ok($low, 'below_threshold', 'invoice.paid 120.00 EUR: 202 deliveries 0, below_threshold');
$where{'flt-low'} = undef;
$res = post_event($low);
ok t_cmp($res->code . ' ' . ((json($res) // {})->{status} // '-'), '200 duplicate',
         'the filtered event again: 200 duplicate (it was accepted; counted once below)');
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-eq', amount => money('500.00')),
        'below_threshold', 'invoice.paid 500.00 EUR (equal to the threshold): below_threshold, only above posts');
$where{'flt-eq'} = undef;
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-high', amount => money('900.00')),
        'posted', 'invoice.paid 900.00 EUR: 202 queued, 1 delivery');
$where{'flt-high'} = 'C0PAYMENTS';
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-usd', amount => money('120.00', 'USD')),
        'posted', 'invoice.paid 120.00 USD (not the account\'s currency): never filtered, posted');
$where{'flt-usd'} = 'C0PAYMENTS';
send_ok(event('refund.issued', account_id => $A, marker => 'flt-ref', amount => money('-600.00')),
        'posted', 'refund.issued -600.00 EUR: compared by size (600 > 500), posted');
$where{'flt-ref'} = 'C0PAYMENTS';
send_ok(event('refund.issued', account_id => $A, marker => 'flt-refl', amount => money('-120.00')),
        'below_threshold', 'refund.issued -120.00 EUR: below_threshold');
$where{'flt-refl'} = undef;
$res = post_event(event('payment.failed', account_id => $A, marker => 'flt-noamt', amount => undef));
ok t_cmp($res->code . ' ' . ((json($res) // {})->{field} // '-'), '422 amount',
         'payment.failed without an amount: not filtered, so rendered, and refused 422 naming amount');
$where{'flt-noamt'} = undef;
send_ok(event('integration.error', account_id => $A, data => {integration => 'R-flt-int'}),
        'posted', 'integration.error (no amount) under an alerts threshold: never filtered, posted');
$where{'flt-int'} = 'C0ALERTS';
send_ok(event('invoice.overdue', account_id => $A, marker => 'flt-od', amount => money('120.00'),
              data => {days_overdue => 12}),
        'below_threshold', 'invoice.overdue 120.00 EUR under the alerts threshold: below_threshold');
$where{'flt-od'} = undef;

# ---------------------------------------------------------------- client and project channels
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-cli', amount => money('900.00'), client => $CLI),
        'posted', 'cli_x invoice.paid 900.00 EUR (its project prj_5 has no channel): posted');
$where{'flt-cli'} = $C_CLIENT;
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-prj', amount => money('900.00'), client => $CLI,
              project => $PRJ),
        'posted', 'cli_x + prj_y invoice.paid 900.00 EUR: posted');
$where{'flt-prj'} = $C_PROJECT;
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-clilow', amount => money('100.00'), client => $CLI),
        'below_threshold', 'cli_x invoice.paid 100.00 EUR: its channel does not bypass the threshold, below_threshold');
$where{'flt-clilow'} = undef;
send_ok(event('lead.received', account_id => $A, marker => 'flt-lead', client => $CLI, project => $PRJ),
        'category_unmapped', 'lead.received (contacts unmapped) of cli_x / prj_y: still category_unmapped');
$where{'flt-lead'} = undef;

# ---------------------------------------------------------------- member filter (quotes: mem_1)
send_ok(event('quote.sent', account_id => $A, marker => 'flt-q1', member => {id => 'mem_1', name => 'One'}),
        'posted', 'quote.sent of mem_1 (a chosen member): posted');
$where{'flt-q1'} = 'C0QUOTES';
send_ok(event('quote.sent', account_id => $A, marker => 'flt-q2', member => {id => 'mem_2', name => 'Two'}),
        'member_filtered', 'quote.sent of mem_2: 202 deliveries 0, member_filtered');
$where{'flt-q2'} = undef;
send_ok(event('quote.sent', account_id => $A, marker => 'flt-q0', member => undef),
        'member_filtered', 'quote.sent without a member: member_filtered (not one of the chosen)');
$where{'flt-q0'} = undef;
send_ok(event('quote.sent', account_id => $A, marker => 'flt-qcli', member => {id => 'mem_1', name => 'One'},
              client => $CLI),
        'posted', 'quote.sent of mem_1 for cli_x: posted');
$where{'flt-qcli'} = $C_CLIENT;

# ---------------------------------------------------------------- downgrade to team
send_ok(event('account.updated', account_id => $A, data => {plan => 'team', timezone => 'UTC', locale => 'en',
                                                               currency => 'EUR'}),
        'not_posted', 'account.updated plan team: 202, not_posted');
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-team-low', amount => money('120.00')),
        'posted', 'on team, invoice.paid 120.00 EUR: the threshold no longer applies, posted');
$where{'flt-team-low'} = 'C0PAYMENTS';
send_ok(event('invoice.paid', account_id => $A, marker => 'flt-team-cli', amount => money('900.00'), client => $CLI),
        'posted', 'on team, cli_x invoice.paid: posted');
$where{'flt-team-cli'} = 'C0PAYMENTS';
send_ok(event('quote.sent', account_id => $A, marker => 'flt-team-q', member => {id => 'mem_2', name => 'Two'}),
        'posted', 'on team, quote.sent of mem_2: the member filter no longer applies, posted');
$where{'flt-team-q'} = 'C0QUOTES';
$res = api($b, GET => 'filters');
my $got = json($res) // {};
ok t_cmp($res->code . ' ' . $canon->encode($got->{filters} // {}) . ' applied=' . ($got->{applied} ? 1 : 0),
         '200 ' . $canon->encode($doc) . ' applied=0', 'after the downgrade GET api/filters returns them, kept, not applied');

# ---------------------------------------------------------------- what reached Slack
my @want = grep { defined $where{$_} } sort keys %where;
my %want_n;
$want_n{ $where{$_} }++ for @want;
my $t0 = time;
my $all = wait_until(20, sub {
    my $m = $mock->messages;
    my %seen = map { (flt_marker($_) // '?') => 1 } @$m;
    (grep { !$seen{$_} } @want) ? undef : $m;
}) // $mock->messages;
printf "# %d expected messages arrived in %.2f s\n", scalar @want, time - $t0;
sleep 0.5;    # a stray message would be after the last expected one in its channel's FIFO
$all = $mock->messages;
my %at;    # marker => [channels]
my %msg;
for my $m (@$all) {
    my $k = flt_marker($m) // next;
    next unless exists $where{$k};
    push @{ $at{$k} }, $m->{channel};
    $msg{$k} = $m;
}
for my $k (sort keys %where) {
    my $expect = defined $where{$k} ? $where{$k} : 'nowhere';
    ok t_cmp(join(',', @{ $at{$k} // [] }) || 'nowhere', $expect,
             "R-$k: " . (defined $where{$k} ? "posted once, in $where{$k}" : 'nothing posted'));
}
ok t_cmp($msg{'flt-cli'} ? ($msg{'flt-cli'}{text} // '') : '', qr/^<!here> /,
         "cli_x's payment in $C_CLIENT carries the payments category's mention (<!here>)");
ok t_cmp($msg{'flt-prj'} ? ($msg{'flt-prj'}{text} // '') : '', qr/^<!here> /,
         "prj_y's payment in $C_PROJECT carries the payments category's mention (<!here>)");
ok t_cmp($msg{'flt-qcli'} ? (($msg{'flt-qcli'}{text} // '') =~ /<!(?:here|channel)/ ? 'pings' : 'silent') : 'absent',
         'silent', "cli_x's quote in $C_CLIENT carries the quotes category's mention (none)");

# ---------------------------------------------------------------- status counts
my $after = counters();
my $np0 = $before->{not_posted} // {};
my $np1 = $after->{not_posted} // {};
my %grew = map { ($_ => ($np1->{$_} // 0) - ($np0->{$_} // 0)) } qw(below_threshold member_filtered category_unmapped not_posted);
ok t_cmp(join(',', map { "$_=$grew{$_}" } sort keys %grew),
         'below_threshold=5,category_unmapped=1,member_filtered=2,not_posted=1',
         'status counters.not_posted grew by exactly what was sent, per reason');
ok t_cmp(($after->{accepted} // 0) - ($before->{accepted} // 0), $accepted,
         "status accepted grew by the $accepted events answered 202 (filtered ones included)");
my $prom = prometheus();
for my $reason (qw(below_threshold member_filtered)) {
    my ($v) = $prom =~ /^nexte_slack_not_posted_total\{reason="$reason"\} (\S+)$/m;
    ok t_cmp($v // 'absent', $np1->{$reason} // 'absent',
             "Prometheus nexte_slack_not_posted_total{reason=\"$reason\"} equals the JSON count");
}
