# GET api/channels with thousands of channels (README "JSON API"): pages of at most 1000 in
# name order after next_cursor, q filtering by a part of the name, archived and private
# channels left out, a list fetched from Slack (conversations.list, 1000 per call) kept for
# NexteSlackChannelCache's TTL and cut at its cap.
#
# The list is kept per httpd process (core/slack/nxs_channel_cache.h), so the checks that
# count Slack calls send their requests on one kept-alive connection: one process answers
# them all (LWP's Client-Response-Num shows the connection was kept).
#
# The main server keeps lists 60 s and up to 20 000 channels (the defaults); the
# nexte_channels virtual host 2 s and up to 3000 (t/conf/extra.conf.in).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use JSON::PP ();
use LWP::ConnCache;
use Time::HiRes qw(sleep time);
use NxsClient qw(:all);
use NxsMock;

plan tests => 42, need_lwp;

my $mock = NxsMock->new;
$mock->reset;
# 5000 fillers fill-0001 … fill-5000, plus a channel to find by name, an archived and a
# private one with the same word in their names.
$mock->seed(teams => [{
    id => 'T0CHANS', name => 'Channel Agency', domain => 'channel-agency', bot_user_id => 'U0CHBOT',
    bot_id => 'B0CHBOT', installer_user_id => 'U0CHUSR',
    channels => [{id => 'C9ALPHA', name => 'alpha-payments'},
                 {id => 'C9OLD', name => 'old-payments', is_archived => JSON::PP::true},
                 {id => 'G9PRIV', name => 'private-payments', is_private => JSON::PP::true,
                  is_member => JSON::PP::true}],
    filler_channels => {count => 5000, name_prefix => 'fill-', id_prefix => 'CF'},
}]);
my $PUBLIC = 5001;    # alpha-payments and the fillers

sub error_of { my $j = json($_[0]); ref $j eq 'HASH' ? ($j->{error} // '') . ' ' . ($j->{field} // '') : '' }
# conversations.list calls so far (from the counters: the recorded calls carry 1000 channels
# each, too slow to read back within a 2 s TTL).
sub list_calls { $mock->stats->{calls}{by_method}{'conversations.list'} // 0 }
sub calls_since { list_calls() - $_[0] }
sub kept_alive { ($_[0]->header('Client-Response-Num') // 1) > 1 ? 1 : 0 }

# Every page from CURSOR on: (channels, number of pages, the last response).
sub all_pages {
    my ($b, $query) = @_;
    my (@all, $res, $cursor);
    my $pages = 0;
    do {
        my $q = join '&', grep { length } $query // '', defined $cursor ? 'cursor=' . $cursor : '';
        $res = api($b, GET => 'channels' . ($q ? "?$q" : ''));
        my $j = json($res) // {};
        push @all, @{ $j->{channels} // [] };
        $cursor = $j->{next_cursor};
        ++$pages;
    } while (defined $cursor && $pages < 50);
    return (\@all, $pages, $res);
}

# --- the main server: 60 s, 20 000 channels
my ($b) = launch('acc_chan_1');
$b->conn_cache(LWP::ConnCache->new(total_capacity => 1));
my $final = install($b, team => 'T0CHANS');
ok t_cmp($final->header('Location') // '', qr/connected=T0CHANS$/, 'connected to a workspace of 5003 channels');

my $seq = $mock->last_seq;
my $listed = list_calls();
my $t0 = time;
my $res = api($b, GET => 'channels');
my $cold_ms = (time - $t0) * 1000;
ok t_cmp($res->code, 200, 'GET channels: 200');
my $first = json($res) // {};
ok t_cmp(join(',', sort keys %$first), 'channels,next_cursor,team_id,truncated',
         'the first page: team_id, channels, next_cursor, truncated');
ok t_cmp(scalar @{ $first->{channels} // [] }, 1000, 'a page holds 1000 channels by default');
ok t_cmp(join(',', sort keys %{ $first->{channels}[0] // {} }), 'id,name', 'a channel is its id and name');
ok t_cmp("$first->{channels}[0]{name} $first->{channels}[1]{name} $first->{channels}[999]{name}",
         'alpha-payments fill-0001 fill-0999', 'in name order');
ok t_cmp(length($first->{next_cursor} // ''), qr/^[1-9]\d*$/, 'next_cursor for the rest');
ok t_cmp($first->{truncated} ? 1 : 0, 0, 'not truncated under the cap');
my @calls = @{ $mock->calls(method => 'conversations.list', since => $seq) };
ok t_cmp(calls_since($listed), 6, 'the counters agree');
ok t_cmp(join(' ', map { $_->{body}{limit} // '-' } @calls), '1000 1000 1000 1000 1000 1000',
         'Slack listed 1000 channels per call: 6 calls for 5003 channels');

# the rest, from this process's list
$seq = list_calls();
$t0 = time;
$res = api($b, GET => 'channels');
my $cached_ms = (time - $t0) * 1000;
ok t_cmp(kept_alive($res), 1, 'the second call went over the same connection (the same process)');
ok t_cmp(calls_since($seq), 0, 'a second call within the TTL makes no Slack call');
my ($all, $pages, $last) = all_pages($b);
my %ids = map { $_->{id} => 1 } @$all;
ok t_cmp(scalar(@$all) . ' in ' . $pages, "$PUBLIC in 6", "following next_cursor: $PUBLIC channels in 6 pages");
ok t_cmp(scalar keys %ids, $PUBLIC, 'no channel twice');
ok t_cmp(join(' ', grep { $ids{$_} } qw(C9ALPHA CF0001 CF5000 C9OLD G9PRIV)), 'C9ALPHA CF0001 CF5000',
         'archived and private channels are left out');
ok t_cmp((join(',', map { $_->{name} } @$all) eq join(',', sort map { $_->{name} } @$all)) ? 1 : 0, 1,
         'every page in name order');
ok t_cmp(exists json($last)->{next_cursor} && !defined json($last)->{next_cursor} ? 1 : 0, 1,
         'the last page: next_cursor null');
ok t_cmp(calls_since($seq), 0, 'paging through them all made no Slack call');
printf "# GET api/channels, 5003 channels (6 Slack pages): cold %.0f ms, cached %.1f ms\n", $cold_ms, $cached_ms;
ok t_cmp($cached_ms < $cold_ms ? 1 : 0, 1, sprintf('cached %.1f ms, cold %.0f ms', $cached_ms, $cold_ms));

# q: a part of the name, in any case
$res = api($b, GET => 'channels?q=PAYMENTS');
ok t_cmp(join(',', map { $_->{id} } @{ json($res)->{channels} // [] }) . ' ' . (json($res)->{next_cursor} // 'null'),
         'C9ALPHA null', 'q=PAYMENTS: alpha-payments only (not the archived or private one)');
($all, $pages) = all_pages($b, 'q=FILL-49&limit=40');
ok t_cmp(scalar(@$all) . ' in ' . $pages, '100 in 3', 'q=FILL-49&limit=40: fill-4900 to fill-4999 in pages of 40');
ok t_cmp(scalar(grep { $_->{name} !~ /^fill-49\d\d$/ } @$all), 0, 'every one contains fill-49');
ok t_cmp(calls_since($seq), 0, 'filtering made no Slack call');

# limits and refusals
ok t_cmp(scalar @{ json(api($b, GET => 'channels?limit=5000'))->{channels} // [] }, 1000, 'limit=5000 sends 1000');
ok t_cmp(scalar @{ json(api($b, GET => 'channels?limit=3'))->{channels} // [] }, 3, 'limit=3 sends 3');
ok t_cmp(error_of(api($b, GET => 'channels?limit=0')), 'invalid_field limit', 'limit=0: 422 on limit');
ok t_cmp(error_of(api($b, GET => 'channels?limit=ten')), 'invalid_field limit', 'limit=ten: 422 on limit');
ok t_cmp(error_of(api($b, GET => 'channels?cursor=bm9uZQ')), 'invalid_field cursor', 'a forged cursor: 422 on cursor');
ok t_cmp(error_of(api($b, GET => 'channels?q=' . ('x' x 81))), 'invalid_field q', 'q over 80 characters: 422 on q');
# Nexte core signs the query too
$res = signed('acc_chan_1', GET => api_path() . 'channels?limit=2&q=fill-000');
ok t_cmp(join(',', map { $_->{name} } @{ json($res)->{channels} // [] }), 'fill-0001,fill-0002',
         'a signed call pages and filters the same');

# --- the nexte_channels virtual host: 2 s, 3000 channels
Apache::TestRequest::module('nexte_channels');
my ($v) = launch('acc_chan_2');
$v->conn_cache(LWP::ConnCache->new(total_capacity => 1));
$final = install($v, team => 'T0CHANS');
ok t_cmp($final->header('Location') // '', qr/connected=T0CHANS$/, 'a second account connected to the same workspace');
$seq = list_calls();
($all, $pages, $last) = all_pages($v);
ok t_cmp(scalar(@$all) . ' in ' . $pages, '3000 in 3', 'the cap: 3000 channels kept, in 3 pages');
ok t_cmp(json($last)->{truncated} ? 1 : 0, 1, 'the list says it was cut');
ok t_cmp(scalar(keys %{ { map { $_->{id} => 1 } @$all } }), 3000, 'no channel twice');
ok t_cmp(calls_since($seq), 4, 'Slack: 3 pages of 1000, and one more to see there were more');
$seq = list_calls();
$res = api($v, GET => 'channels');
ok t_cmp(kept_alive($res) . ' ' . calls_since($seq), '1 0', 'within the 2 s TTL: no Slack call (same process)');
sleep 2.2;
$res = api($v, GET => 'channels');
ok t_cmp($res->code, 200, 'after the TTL: 200');
ok t_cmp(kept_alive($res) . ' ' . calls_since($seq), '1 4', 'after the TTL: listed by Slack again');

# An archived channel goes once the list is fetched again.
$mock->channel(id => 'CF0001', is_archived => JSON::PP::true);
$res = api($v, GET => 'channels?q=fill-0001');
ok t_cmp(scalar @{ json($res)->{channels} // [] }, 1, 'a channel archived within the TTL is still listed');
sleep 2.2;
$res = api($v, GET => 'channels?q=fill-0001');
ok t_cmp(scalar @{ json($res)->{channels} // [] }, 0, 'after the TTL it is not');

# A Slack failure is not kept.
sleep 2.2;
$mock->mode(mode => 'slack_error', error => 'ratelimited', method => 'conversations.list', count => 1);
$res = api($v, GET => 'channels');
ok t_cmp($res->code . ' ' . (json($res)->{error} // ''), '502 ratelimited', 'Slack refusing: 502 with its code');
$res = api($v, GET => 'channels');
ok t_cmp($res->code, 200, 'the next call lists again');
