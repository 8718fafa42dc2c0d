# "Mark as handled" end to end (docs/CONTRACT.md "Interactions", README "Slack interactions"): a click on a posted
# message's button answers 200, replaces the buttons through chat.update with who handled it
# and when, and reports to NexteSlackCallbackURL, signed; a second click by anyone shows the
# first handler and reports nothing more; two clicks at once record one handler; a failing
# chat.update falls back to response_url; a slow Slack does not delay the 200; a failing
# callback receiver is retried; the status counts clicks, messages handled, refusals and
# failed reports (counters.interactions). Account acc_ix_1.
use v5.36;
use utf8;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(hmac_sha256_hex);
use POSIX ();
use JSON::PP;
use Time::HiRes qw(time sleep);
use NxsClient qw(secret);
use NxsEvents qw(:all);
use NxsInteract qw(:all);

plan tests => 55, need_lwp;
binmode STDOUT, ":utf8";

my $mock = mock();
$mock->reset;
$mock->callback_status(200);
my $ACC = 'acc_ix_1';
connect_account($ACC, categories => {payments => 'C0PAYMENTS'});

# The handled line of a message (its block "nxs_handled_by"), or ''.
sub handled_line ($blocks) {
    for my $b (@{ $blocks // [] }) {
        return $b->{elements}[0]{text} if ($b->{block_id} // '') eq 'nxs_handled_by';
    }
    return '';
}
sub has_actions ($blocks) { scalar grep { ($_->{type} // '') eq 'actions' } @{ $blocks // [] } }
sub updates_since ($seq, $count = 1, $timeout = 10) {
    return $mock->wait_for_calls(method => 'chat.update', since => $seq, count => $count, timeout => $timeout);
}
sub stored ($d) {
    my ($m) = grep { $_->{ts} eq $d->{ts} } @{ $mock->messages(channel => $d->{channel}) };
    return $m // {};
}

# --- the first click ---------------------------------------------------------------
my $d = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
ok t_cmp($d->{delivery_id}, qr/^d_[A-Za-z0-9_-]+$/, 'the posted message carries a delivery id in its button');
my $seq = $mock->last_seq;
my $cb_seq = last_callback_seq();
my $t0 = time;
my $res = click($d, user => 'U0CLAIRE1', user_name => 'claire');
my $took = time - $t0;
ok t_cmp($res->code, 200, 'first click: 200');
ok t_cmp($res->content, '', 'first click: empty body (Slack shows nothing)');
print "# first click answered in ", sprintf('%.0f', $took * 1000), " ms\n";

my $calls = updates_since($seq);
ok t_cmp(scalar @$calls, 1, 'one chat.update');
my $up = $calls->[0]{body} // {};
print "# handled line: ", handled_line($up->{blocks}), "\n";
ok t_cmp($up->{channel}, $d->{channel}, 'chat.update: the delivery channel');
ok t_cmp($up->{ts}, $d->{ts}, 'chat.update: the message ts');
ok t_cmp(handled_line($up->{blocks}), qr/^✅ Handled by <\@U0CLAIRE1> · <!date\^\d+\^\{date_short_pretty\} at \{time\}\|.+>$/,
         'chat.update: "✅ Handled by <@user> · time"');
ok t_cmp(has_actions($up->{blocks}), 0, 'chat.update: the buttons are gone');
ok t_cmp($calls->[0]{status}, 200, 'chat.update accepted by Slack');
my $m = stored($d);
ok t_cmp(handled_line($m->{blocks}), qr/U0CLAIRE1/, 'the message in Slack shows the handler');
ok t_cmp(scalar @{ $mock->calls(method => 'response_url', since => $seq) }, 0, 'no response_url post when chat.update works');

my $cbs = $mock->wait_for_callbacks(since => $cb_seq, type => 'slack.message_handled', count => 1);
ok t_cmp(scalar @$cbs, 1, 'one callback to Nexte core');
my $cb = $cbs->[0]{json} // {};
ok t_cmp($cb->{event_id}, $d->{event}{id}, 'callback: event id');
ok t_cmp($cb->{account_id}, $ACC, 'callback: account');
ok t_cmp($cb->{delivery_id}, $d->{delivery_id}, 'callback: delivery id');
ok t_cmp(JSON::PP->new->canonical->encode($cb->{record} // {}),
         JSON::PP->new->canonical->encode({kind => $d->{event}{record}{kind}, id => $d->{event}{record}{id},
                                           number => $d->{event}{record}{number}}),
         'callback: the record (kind, id, number)');
ok t_cmp($cb->{handled_by}{slack_user_id}, 'U0CLAIRE1', 'callback: Slack user id');
ok t_cmp($cb->{handled_by}{slack_user_name}, 'claire', 'callback: Slack user name');
ok t_cmp(abs(($cb->{handled_at} // 0) - time) < 30, 1, 'callback: handled_at is the click time');
my $h = $cbs->[0]{headers} // {};
my %hl = map { lc($_) => $h->{$_} } keys %$h;
ok t_cmp($hl{'x-nexte-signature'}, 'v1=' . hmac_sha256_hex("v1:$hl{'x-nexte-timestamp'}:$cbs->[0]{body}", secret()),
         'callback: signed with the event secret');

# --- a second click, by someone else ---------------------------------------------------
$seq = $mock->last_seq;
$cb_seq = last_callback_seq();
$res = click($d, user => 'U0HUGO002', user_name => 'hugo');
ok t_cmp($res->code, 200, 'second click: 200');
$calls = updates_since($seq);
ok t_cmp(handled_line(($calls->[0]{body} // {})->{blocks}), qr/<\@U0CLAIRE1>/, 'second click: the message still shows the first handler');
ok t_cmp(handled_line(($calls->[0]{body} // {})->{blocks}), $up ? handled_line($up->{blocks}) : '',
         'second click: the same line, time included');
sleep 1.5;
ok t_cmp(scalar @{ $mock->callbacks(since => $cb_seq) }, 0, 'second click: no second callback');

# --- two clicks at once ----------------------------------------------------------------
my $d2 = deliver_one($ACC, 'C0PAYMENTS', 'payment.failed');
$seq = $mock->last_seq;
$cb_seq = last_callback_seq();
my @pids;
for my $user (qw(U0RACE001 U0RACE002)) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        my $r = click($d2, user => $user);
        POSIX::_exit($r->code == 200 ? 0 : 1);
    }
    push @pids, $pid;
}
my $both_ok = 1;
for (@pids) { waitpid $_, 0; $both_ok = 0 if $? }
ok t_cmp($both_ok, 1, 'two clicks at once: both answered 200');
$calls = updates_since($seq, 2);
my %lines = map { handled_line(($_->{body} // {})->{blocks}) => 1 } @$calls;
ok t_cmp(scalar @$calls, 2, 'two clicks at once: two updates');
ok t_cmp(scalar keys %lines, 1, 'two clicks at once: both show the same handler');
sleep 1.5;
$cbs = $mock->callbacks(since => $cb_seq);
ok t_cmp(scalar @$cbs, 1, 'two clicks at once: one callback');
ok t_cmp((keys %lines)[0], qr/<\@\Q$cbs->[0]{json}{handled_by}{slack_user_id}\E>/, 'two clicks at once: the reported handler is the one shown');

# --- chat.update fails: response_url ---------------------------------------------------
my $d3 = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
my $rurl = $mock->response_url(channel => $d3->{channel}, ts => $d3->{ts});
$mock->mode(mode => 'slack_error', method => 'chat.update', error => 'message_not_found', count => 1);
$seq = $mock->last_seq;
$res = click($d3, user => 'U0CLAIRE1', response_url => $rurl);
ok t_cmp($res->code, 200, 'chat.update failing: the click still answers 200');
$calls = $mock->wait_for_calls(method => 'response_url', since => $seq, count => 1);
ok t_cmp(scalar @$calls, 1, 'chat.update failing: one response_url post');
my $rp = $calls->[0]{body} // {};
ok t_cmp($rp->{replace_original} ? 1 : 0, 1, 'response_url: replace_original');
ok t_cmp(handled_line($rp->{blocks}), qr/^✅ Handled by <\@U0CLAIRE1>/, 'response_url: the handled line');
ok t_cmp(has_actions($rp->{blocks}), 0, 'response_url: no buttons');
ok t_cmp(handled_line(stored($d3)->{blocks}), qr/U0CLAIRE1/, 'response_url: the message in Slack shows the handler');
ok t_cmp(scalar @{ $mock->calls(method => 'chat.update', since => $seq) }, 1, 'response_url used after one chat.update try');
$mock->normal;

# --- a response_url elsewhere than Slack's hooks is never posted to -----------------------
# (NexteSlackResponseURLBase is the mock's /response here; the callback sink records any post)
my $d3b = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
my $elsewhere = 'http://127.0.0.1:' . $mock->control_port . '/_mock/callbacks';
$mock->mode(mode => 'slack_error', method => 'chat.update', error => 'message_not_found', count => 1);
my $sink_seq = $mock->stats->{callbacks}{received};
$res = click($d3b, user => 'U0CLAIRE1', response_url => $elsewhere);
ok t_cmp($res->code, 200, 'response_url elsewhere: the click answers 200');
sleep 1.5;
my @posted = grep { exists(($_->{json} // {})->{replace_original}) } @{ $mock->callbacks(since => $sink_seq) };
ok t_cmp(scalar @posted, 0, 'response_url elsewhere: nothing is posted to it');
$mock->normal;

# --- a slow Slack: the 200 does not wait --------------------------------------------------
my $d4 = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
$mock->mode(mode => 'slow', method => 'chat.update', delay_ms => 4000);
$seq = $mock->last_seq;
$t0 = time;
$res = click($d4, user => 'U0CLAIRE1');
$took = time - $t0;
ok t_cmp($res->code, 200, 'slow chat.update: 200');
ok t_cmp($took < 3 ? 1 : 0, 1, 'slow chat.update (4 s): answered within Slack\'s 3 s');
print "# click answered in ", sprintf('%.0f', $took * 1000), " ms while chat.update takes 4 s\n";
$calls = updates_since($seq, 1, 10);
ok t_cmp(scalar @$calls, 1, 'slow chat.update: the update still happens');
$mock->normal;

# --- the callback receiver fails: retried -------------------------------------------------
my $d5 = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
$cb_seq = last_callback_seq();
$mock->callback_status(503);
$res = click($d5, user => 'U0CLAIRE1');
ok t_cmp($res->code, 200, 'callback failing: the click answers 200');
my $failed = $mock->wait_for_callbacks(since => $cb_seq, count => 1, timeout => 10);
$mock->callback_status(200);
$cbs = $mock->wait_for_callbacks(since => $cb_seq, count => 2, timeout => 10);
ok t_cmp(scalar @$cbs, 2, 'callback failing: tried again');
ok t_cmp(join(',', map { $_->{status} } @$cbs), '503,200', 'callback: 503 then 200');
ok t_cmp($cbs->[1]{json}{delivery_id}, $d5->{delivery_id}, 'callback retry: the same report');

# --- the status counts them (counters.interactions, from every httpd child) -------------
# After the deliveries: deliver_one's probe clicks (refused mismatches) are counted too.
sub ix_counters () { counters()->{interactions} // {} }
sub delta ($now, $was, $key) { ($now->{$key} // 0) - ($was->{$key} // 0) }
my $d6 = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
my $d7 = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
my $was = ix_counters();
$cb_seq = last_callback_seq();
ok t_cmp(click($d6, user => 'U0CLAIRE1')->code, 200, 'counted: a first click');
ok t_cmp(click($d6, user => 'U0HUGO002')->code, 200, 'counted: a later click');
ok t_cmp(click($d6, value => 'd_doesnotexist0000000000')->code, 404, 'counted: a refused click');
$mock->wait_for_callbacks(since => $cb_seq, count => 1, timeout => 10);
$mock->callback_status(503);
ok t_cmp(click($d7, user => 'U0CLAIRE1')->code, 200, 'counted: a click whose report Nexte core never takes');
$mock->wait_for_callbacks(since => $cb_seq, count => 4, timeout => 15);
$mock->callback_status(200);
my $now = wait_until(10, sub {
    my $c = ix_counters();
    return delta($c, $was, 'callbacks_failed') >= 1 && ($c->{callbacks_pending} // -1) == 0 ? $c : undef;
}) // ix_counters();
ok t_cmp(delta($now, $was, 'clicks'), 4, 'status: 4 more clicks');
ok t_cmp(delta($now, $was, 'handled'), 2, 'status: 2 more messages marked handled');
ok t_cmp(delta($now->{refused} // {}, $was->{refused} // {}, 'unknown_delivery'), 1,
         'status: one more refusal, unknown_delivery');
ok t_cmp(delta($now, $was, 'callbacks_failed'), 1, 'status: one report failed after its tries');
ok t_cmp($now->{callbacks_pending}, 0, 'status: no report under way');
ok t_cmp(prometheus(), qr/^nexte_slack_interactions_refused_total\{code="unknown_delivery"\} [1-9]\d*$/m,
         'Prometheus: nexte_slack_interactions_refused_total by code');
