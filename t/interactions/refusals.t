# What the interactions handler refuses (docs/CONTRACT.md "Interactions", README "Slack interactions"), each with a
# clear 4xx and a JSON error code, and nothing changed: no chat.update, no response_url post,
# no callback, the delivery still unhandled. Also: a URL-button click is 200 and nothing else.
# Account acc_ix_2.
use v5.36;
use utf8;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;
use Time::HiRes qw(time sleep);
use NxsEvents qw(:all);
use NxsInteract qw(:all);

plan tests => 22 * 3 + 8, need_lwp;
binmode STDOUT, ':utf8';

my $mock = mock();
$mock->reset;
$mock->callback_status(200);
my $ACC = 'acc_ix_2';
connect_account($ACC, categories => {payments => 'C0PAYMENTS', quotes => 'C0QUOTES'});
my $d = deliver_one($ACC, 'C0PAYMENTS', 'invoice.paid');
my $other = deliver_one($ACC, 'C0QUOTES', 'quote.sent');
my $rurl = $mock->response_url(channel => $d->{channel}, ts => $d->{ts});
my $seq = $mock->last_seq;
my $cb_seq = last_callback_seq();

# Each case: [name, response, expected status, expected error code].
sub refused ($name, $res, $status, $code) {
    my $j = eval { decode_json($res->content) } // {};
    ok t_cmp($res->code, $status, "$name: $status");
    ok t_cmp($j->{error} // '', $code, "$name: error $code");
    ok t_cmp(length($j->{message} // '') > 0 ? 1 : 0, 1, "$name: a message says why");
}

my $good = form_body(payload_for($d, response_url => $rurl));
my $now = int time;

refused('GET', post_interaction('', method => 'GET'), 405, 'method_not_allowed');
refused('oversized body', post_interaction('payload=' . ('x' x (129 * 1024))), 413, 'too_large');
refused('no signature', post_interaction($good, omit => ['X-Slack-Signature']), 401, 'missing_signature');
refused('no timestamp', post_interaction($good, omit => ['X-Slack-Request-Timestamp']), 401, 'missing_signature');
refused('malformed signature', post_interaction($good, signature => 'v1=abc'), 401, 'malformed_signature');
refused('wrong secret', post_interaction($good, secret => 'not-the-signing-secret'), 401, 'bad_signature');
refused('signature over another body', post_interaction($good, sign_body => "$good&x=1"), 401, 'bad_signature');
refused('stale timestamp (6 min old)', post_interaction($good, ts => $now - 360), 401, 'stale_timestamp');
refused('timestamp from the future', post_interaction($good, ts => $now + 360), 401, 'stale_timestamp');
refused('JSON instead of a form', post_interaction('{"type":"block_actions"}', content_type => 'application/json'),
        415, 'unsupported_media_type');
refused('no payload field', post_interaction('token=x&team_id=T0MOCK01'), 400, 'no_payload');
refused('payload not JSON', post_interaction('payload=%7Bnot'), 400, 'malformed_payload');
refused('unknown payload type', post_interaction(form_body(payload_for($d, type => 'view_submission'))),
        400, 'unknown_payload_type');
refused('unknown action id', post_interaction(form_body(payload_for($d, action_id => 'delete_everything'))),
        400, 'unknown_action');
refused('malformed delivery id', post_interaction(form_body(payload_for($d, value => "d_x'; DROP TABLE"))),
        400, 'invalid_field');
refused('unknown delivery', post_interaction(form_body(payload_for($d, value => 'd_doesnotexist0000000000'))),
        404, 'unknown_delivery');
refused('another team', post_interaction(form_body(payload_for($d, team => 'T0MOCK02'))), 403, 'delivery_mismatch');
refused('another channel', post_interaction(form_body(payload_for($d, channel => 'C0QUOTES'))), 403, 'delivery_mismatch');
refused('another message ts', post_interaction(form_body(payload_for($d, ts => '1.000001'))), 403, 'delivery_mismatch');
refused("another message's delivery id", post_interaction(form_body(payload_for($d, value => $other->{delivery_id}))),
        403, 'delivery_mismatch');
refused('not a Slack user id', post_interaction(form_body(payload_for($d, user => '<!channel>'))), 400, 'invalid_field');

# A replay: the same signed request twice (a URL-button click, harmless the first time).
my $url_click = form_body(payload_for($d, action_id => 'nxs_open_record'));
my $ts = int time;
my $first = post_interaction($url_click, ts => $ts);
ok t_cmp($first->code, 200, 'URL button: 200');
ok t_cmp($first->content, '', 'URL button: nothing in the body');
refused('the same signed request again', post_interaction($url_click, ts => $ts), 409, 'replayed_request');

# Nothing changed by any of the above.
sleep 1;
ok t_cmp(scalar @{ $mock->calls(method => 'chat.update', since => $seq) }, 0, 'no chat.update');
ok t_cmp(scalar @{ $mock->calls(method => 'response_url', since => $seq) }, 0, 'no response_url post');
ok t_cmp(scalar @{ $mock->callbacks(since => $cb_seq) }, 0, 'no callback to Nexte core');
my ($m) = grep { $_->{ts} eq $d->{ts} } @{ $mock->messages(channel => $d->{channel}) };
ok t_cmp(handled_button($m // {}), $d->{delivery_id}, 'the message still has its button');

# And the delivery is still unhandled: a genuine click is the first one.
my $res = click($d, user => 'U0REAL001', response_url => $rurl);
ok t_cmp($res->code, 200, 'a genuine click after all that: 200');
my $cbs = $mock->wait_for_callbacks(since => $cb_seq, count => 1);
ok t_cmp(($cbs->[0]{json}{handled_by} // {})->{slack_user_id} // '', 'U0REAL001',
         'the genuine click is the first handler');
