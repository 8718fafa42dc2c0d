# One event per category reaches its mapped channel at the mock Slack as a Block Kit
# message (docs/CONTRACT.md "Messages", "Delivery"; README "Messages"): text fallback, the category's mention,
# mrkdwn escaping of user strings, the "Mark as handled" button; and the status
# endpoint counts it (JSON and Prometheus). Account acc_dlv_1.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);

my %channel = (payments => 'C0PAYMENTS', quotes => 'C0QUOTES', contacts => 'C0CONTACTS',
               booking => 'C0BOOKING', alerts => 'C0ALERTS');
my @cats = qw(payments quotes contacts booking alerts);

plan tests => 5 * 9 + 17, need_lwp;
binmode STDOUT, ':utf8';

my $mock = mock();
$mock->reset;
my $ACC = 'acc_dlv_1';
connect_account($ACC, categories => \%channel, mentions => {payments => 'here', alerts => 'channel'});

my $canon = JSON::PP->new->canonical;
my %event = (
    payments => event('invoice.paid', account_id => $ACC, marker => 'dlv-pay',
                      client => {id => 'cli_evil', name => '<!channel>'}),
    quotes   => event('quote.sent', account_id => $ACC, marker => 'dlv-quo',
                      client => {id => 'cli_44', name => '<https://evil.test|click> & *co*'}),
    contacts => event('lead.received', account_id => $ACC, marker => 'dlv-lead'),
    booking  => event('appointment.booked', account_id => $ACC, marker => 'dlv-book'),
    alerts   => event('invoice.overdue', account_id => $ACC, marker => 'dlv-od', data => {days_overdue => 12}),
);
my $before = counters();
my $seq = $mock->last_seq;
my $t0 = time;
my %answer;
for my $cat (@cats) {
    my $res = post_event($event{$cat});
    my $j = json($res) // {};
    $answer{$cat} = $res->code . ' ' . ($j->{status} // '-') . ' ' . ($j->{deliveries} // '-');
}

my %msg;
for my $cat (@cats) {
    my $list = wait_messages(channel => $channel{$cat}, count => 1, timeout => 10);
    $msg{$cat} = $list;
}
my $took = time - $t0;
print "# 5 events posted and delivered in ", sprintf('%.2f', $took), " s\n";
my %call = map { (marker_of($_) // '?') => $_ } @{ $mock->calls(method => 'chat.postMessage', since => $seq) };

my %delivery_ids;
for my $cat (@cats) {
    my $ev = $event{$cat};
    my $marker = {payments => 'dlv-pay', quotes => 'dlv-quo', contacts => 'dlv-lead', booking => 'dlv-book',
                  alerts => 'dlv-od'}->{$cat};
    ok t_cmp($answer{$cat}, '202 queued 1', "$cat ($ev->{type}): 202 queued, 1 delivery");
    my @m = @{ $msg{$cat} };
    ok t_cmp(join(',', map { marker_of($_) // '?' } @m), $marker, "$cat: exactly its message at $channel{$cat}");
    my $m = $m[0] // {};
    my $blocks = $m->{blocks} // [];
    ok t_cmp(ref $blocks eq 'ARRAY' && @$blocks >= 3 && ($blocks->[0]{type} // '') eq 'header' ? 1 : 0, 1,
             "$cat: Block Kit blocks, a header first");
    ok t_cmp($m->{text} // '', qr/\S.*R-\Q$marker\E/, "$cat: a plain text fallback naming the record");
    my ($actions) = grep { ($_->{type} // '') eq 'actions' } @$blocks;
    my ($handled) = grep { ($_->{action_id} // '') eq 'nxs_handled' } @{ $actions->{elements} // [] };
    ok t_cmp(($handled->{text}{text} // '') . ' ' . ($handled->{value} // ''), qr/^Mark as handled \S+$/,
             "$cat: a \"Mark as handled\" button carrying the delivery id");
    $delivery_ids{ $handled->{value} // '' } = 1;
    my $c = $call{$marker} // {};
    ok t_cmp(($c->{status} // 0) . ' ' . ($c->{response}{ok} ? 'ok' : ($c->{response}{error} // 'no answer')), '200 ok',
             "$cat: Slack (the mock, with its Block Kit checks) accepted the chat.postMessage");
    ok t_cmp(($c->{content_type} // '') . ' ' . ($c->{body}{channel} // ''), qr{^application/json; charset=utf-8 \Q$channel{$cat}\E$},
             "$cat: posted as JSON with a charset, to the channel ID");
    my $warnings = $c->{response}{response_metadata}{warnings} // [];
    ok t_cmp(join(',', @$warnings), '', "$cat: no warning from Slack");
    my $whole = $canon->encode({text => $m->{text}, blocks => $blocks});
    if ($cat eq 'payments') {
        ok t_cmp($m->{text} // '', qr/^<!here> /, 'payments: mention "here" puts <!here> in the text');
    } elsif ($cat eq 'alerts') {
        ok t_cmp($m->{text} // '', qr/^<!channel> /, 'alerts: mention "channel" puts <!channel> in the text');
    } else {
        ok t_cmp($whole =~ /<!(?:here|channel|everyone)/ ? 'pings' : 'silent', 'silent', "$cat: no mention set, no ping");
    }
}
ok t_cmp(scalar(grep { length } keys %delivery_ids), 5, 'each message has its own delivery id');

# Escaping: user strings never ping or link.
my $pay = $canon->encode({text => $msg{payments}[0]{text}, blocks => $msg{payments}[0]{blocks}});
ok t_cmp($msg{payments}[0]{text} // '', qr/&lt;!channel&gt;/, 'a client named "<!channel>" arrives escaped as &lt;!channel&gt; in the text');
ok t_cmp($canon->encode($msg{payments}[0]{blocks} // []), qr/&lt;!channel&gt;/, '... and in the blocks');
ok t_cmp(scalar(() = $pay =~ /<!channel>/g), 0, 'the payments message contains no live <!channel>');
ok t_cmp($msg{quotes}[0]{text} // '', qr/&lt;https:\/\/evil\.test\|click&gt; &amp; /,
         'a client named "<https://evil.test|click> & ..." arrives escaped (no link)');
ok t_cmp(($msg{quotes}[0]{text} // '') =~ /<https:\/\/evil/ ? 'link' : 'no link', 'no link', 'quotes: no live link from user input');

# Counters.
my $after = wait_until(5, sub { my $c = counters(); ($c->{delivered} // 0) - ($before->{delivered} // 0) >= 5 ? $c : undef })
    // counters();
ok t_cmp(($after->{accepted} // 0) - ($before->{accepted} // 0), 5, 'status: accepted grew by 5');
ok t_cmp(($after->{delivered} // 0) - ($before->{delivered} // 0), 5, 'status: delivered grew by 5');
my $lat0 = $before->{delivery_latency_seconds} // {};
my $lat1 = $after->{delivery_latency_seconds} // {};
ok t_cmp(($lat1->{count} // 0) - ($lat0->{count} // 0), 5, 'status: the latency histogram counted 5 deliveries');
ok t_cmp(($lat1->{counts}[-1] // -1), $lat1->{count} // -2, 'status: the +Inf bucket holds every observation');
my @counts = @{ $lat1->{counts} // [] };
ok t_cmp((grep { $counts[$_] < $counts[$_ - 1] } 1 .. $#counts) ? 'not cumulative' : 'cumulative', 'cumulative',
         'status: histogram buckets are cumulative');
ok t_cmp(join(',', map { $after->{$_} // '-' } qw(queue_depth in_flight)), '0,0', 'status: nothing left queued or in flight');
ok t_cmp(($after->{retried} // 0) - ($before->{retried} // 0), 0, 'status: no retry was needed');

my $prom = prometheus();
my ($pd) = $prom =~ /^nexte_slack_delivered_total (\S+)$/m;
ok t_cmp($pd // 'absent', $after->{delivered}, 'Prometheus: nexte_slack_delivered_total equals the JSON counter');
ok t_cmp($prom, qr/^nexte_slack_delivery_latency_seconds_bucket\{le="[^"]+"\} \d+$/m,
         'Prometheus: nexte_slack_delivery_latency_seconds_bucket lines');
my ($pinf) = $prom =~ /^nexte_slack_delivery_latency_seconds_bucket\{le="\+Inf"\} (\S+)$/m;
my ($pcount) = $prom =~ /^nexte_slack_delivery_latency_seconds_count (\S+)$/m;
ok t_cmp(($pinf // 'absent') . ' ' . ($pcount // 'absent'), "$lat1->{count} $lat1->{count}",
         'Prometheus: the +Inf bucket and _count equal the JSON count');
ok t_cmp($prom, qr/^# TYPE nexte_slack_delivery_latency_seconds histogram$/m, 'Prometheus: the latency is a histogram');
