package NxsInteract;

# Slack's side of "Mark as handled" (README "Slack interactions") for Apache-Test .t
# files: deliver an event and read its button, build block_actions payloads like Slack's,
# sign them with the app's signing secret and POST them form-encoded.
#
#   use NxsInteract qw(:all);
#   my $d = deliver_one('acc_ix_1', 'C0PAYMENTS');   # {delivery_id, ts, channel, team, event}
#   my $res = click($d, user => 'U0CLAIRE1');         # signed, like Slack
#   is($res->code, 200);

use v5.36;
use Carp qw(croak);
use Digest::SHA qw(hmac_sha256_hex);
use Exporter qw(import);
use HTTP::Request;
use JSON::PP;
use Time::HiRes qw(time);
use URI::Escape qw(uri_escape_utf8);

use NxsClient qw(base_url json);
use NxsEvents qw(mock event post_event wait_messages new_ua);

our @EXPORT_OK = qw(interactions_path signing_secret slack_signature payload_for form_body
                    post_interaction click deliver_one wait_recorded handled_button delivery_of last_callback_seq);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $JSON = JSON::PP->new->canonical->utf8;
my $N = 0;

sub interactions_path () { '/nexte/interactions' }
sub signing_secret () { 'mock-signing-secret' }    # NexteSlackSigningSecret in t/conf/extra.conf.in

# Slack's v0 signature of BODY at TS.
sub slack_signature ($ts, $body, $secret = undef) {
    return 'v0=' . hmac_sha256_hex("v0:$ts:$body", $secret // signing_secret());
}

# The delivery id in the message's "Mark as handled" button, or undef.
sub handled_button ($msg) {
    for my $b (@{ $msg->{blocks} // [] }) {
        next unless ($b->{type} // '') eq 'actions';
        for my $e (@{ $b->{elements} // [] }) {
            return $e->{value} if ($e->{action_id} // '') eq 'nxs_handled';
        }
    }
    return undef;
}

# What a click needs to know of a posted message.
sub delivery_of ($msg, $event = undef) {
    return {delivery_id => handled_button($msg), ts => $msg->{ts}, channel => $msg->{channel},
            team => $msg->{team_id} // 'T0MOCK01', event => $event};
}

# Posts one event of TYPE for ACCOUNT (whose category is mapped to CHANNEL), waits for
# its message at the mock and returns delivery_of() it.
sub deliver_one ($account, $channel, $type = 'invoice.paid', %over) {
    my $marker = 'ix' . ++$N . '-' . $$;
    my $since = time - 1;
    my $ev = event($type, account_id => $account, marker => $marker, %over);
    my $res = post_event($ev);
    croak 'NxsInteract: event not accepted: ' . $res->status_line . ' ' . $res->content unless $res->code == 202;
    my $found;
    my $deadline = time + 10;
    while (!$found && time < $deadline) {
        my $list = wait_messages(channel => $channel, count => 1, since_ts => $since, timeout => 1);
        ($found) = grep { ($_->{text} // '') =~ /\Q$marker\E/ } @$list;
    }
    croak "NxsInteract: no message for $marker in $channel" unless $found;
    my $d = delivery_of($found, $ev);
    wait_recorded($d);
    return $d;
}

# The daemon records a posted message in SQL in batches, a few ms after Slack took it: waits
# until a probe click from another team is refused as a mismatch (403: the row exists)
# rather than as unknown (404). A refused click changes nothing.
sub wait_recorded ($d, $timeout = 10) {
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my $res = click($d, team => 'T0PROBE00');
        return 1 if $res->code == 403;
        croak 'NxsInteract: probe click: ' . $res->status_line . ' ' . $res->content unless $res->code == 404;
        Time::HiRes::sleep(0.02);
    }
    croak "NxsInteract: delivery $d->{delivery_id} not recorded within $timeout s";
}

# A block_actions payload for a click on D's button (hashref from deliver_one). Options:
# user, user_name, team, channel, ts, action_id, value, response_url, type.
sub payload_for ($d, %o) {
    my $action_id = $o{action_id} // 'nxs_handled';
    my $team = $o{team} // $d->{team};
    my $channel = $o{channel} // $d->{channel};
    my $ts = $o{ts} // $d->{ts};
    my $action = {type => 'button', action_id => $action_id, block_id => 'nxs_actions',
                  text => {type => 'plain_text', text => 'Mark as handled', emoji => JSON::PP::true},
                  action_ts => sprintf('%.6f', time + ++$N / 1e6)};
    $action->{value} = exists $o{value} ? $o{value} : $d->{delivery_id}
        if $action_id eq 'nxs_handled' || exists $o{value};
    $action->{url} = 'https://app.nexte.test/invoices/1' if $action_id =~ /^nxs_open_record/;
    return {
        type => $o{type} // 'block_actions',
        user => {id => $o{user} // 'U0CLAIRE1', username => $o{user_name} // 'claire',
                 name => $o{user_name} // 'claire', team_id => $team},
        api_app_id => 'A0MOCKAPP', token => 'legacy-verification-token',
        container => {type => 'message', message_ts => $ts, channel_id => $channel, is_ephemeral => JSON::PP::false},
        trigger_id => "$N.1.abc",
        team => {id => $team, domain => 'mock'},
        channel => {id => $channel, name => 'payments'},
        message => {type => 'message', ts => $ts, bot_id => 'B0MOCK01', text => 'x'},
        ($o{response_url} ? (response_url => $o{response_url}) : ()),
        actions => [$action],
    };
}

# "payload=<url-encoded JSON>", as Slack sends it.
sub form_body ($payload) {
    return 'payload=' . uri_escape_utf8(ref $payload ? $JSON->encode($payload) : $payload);
}

# POSTs BODY to the interactions location, signed like Slack. Options: ts, secret,
# signature (raw header value), sign_body, omit => [headers], content_type, method, path.
sub post_interaction ($body, %opt) {
    my $ts = $opt{ts} // int time;
    my %h = (
        'Content-Type'              => $opt{content_type} // 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp' => $ts,
        'X-Slack-Signature'         => $opt{signature} // slack_signature($ts, $opt{sign_body} // $body, $opt{secret}),
    );
    delete $h{$_} for @{ $opt{omit} // [] };
    my $req = HTTP::Request->new($opt{method} // 'POST' => base_url() . ($opt{path} // interactions_path()));
    $req->header($_ => $h{$_}) for sort keys %h;
    $req->content($body);
    $req->header('Content-Length' => length $body);
    return ($opt{ua} // new_ua())->request($req);
}

# A signed click on D's button (payload_for options, plus post_interaction's).
sub click ($d, %o) {
    my %post = map { exists $o{$_} ? ($_ => delete $o{$_}) : () } qw(ts secret signature sign_body omit content_type ua);
    return post_interaction(form_body(payload_for($d, %o)), %post);
}

# The seq of the newest callback the mock's sink holds (0 when none).
sub last_callback_seq () {
    my $cbs = mock()->callbacks;
    return @$cbs ? $cbs->[-1]{seq} : 0;
}

1;
