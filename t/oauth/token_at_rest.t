# Slack tokens at rest and their rotation (README "Add to Slack", docs/CONTRACT.md "Slack app and tokens"): the token
# strings the mock issued never appear in the SQLite files nor in the error log; with
# rotation, a token with 2 h or less left is refreshed (grant_type=refresh_token) before
# it is used, the new refresh token is kept; a token with more time left is not.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use MIME::Base64 qw(encode_base64);
use NxsClient qw(:all);
use NxsMock;

plan tests => 26, need_lwp;

my $mock = NxsMock->new;
$mock->reset;
my $logs = Apache::Test::vars('t_logs');

sub issued { [grep { $_->{source} ne 'seed' } @{ $mock->tokens(team => $_[0] // 'T0MOCK01') }] }
sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return '';
    local $/;
    my $data = <$fh>;
    return $data // '';
}

# --- an install without rotation
my ($b) = launch('acc_tok_1');
my $res = install($b);
ok t_cmp($res->code, 302, 'install without rotation');
my ($plain) = @{ issued() };
ok t_cmp($plain->{token} // '', qr/^xoxb-/, 'the mock issued a bot token');
ok t_cmp(json(api($b, GET => 'workspaces'))->{workspaces}[0]{token_rotation} ? 1 : 0, 0,
         'workspace without token rotation');

# --- rotation, token expiring within the 2 h margin
$mock->seed(token_rotation => {enabled => JSON::PP::true, expires_in => 3600});
my ($r) = launch('acc_tok_2');
$res = install($r);
ok t_cmp($res->code, 302, 'install with rotation (expires_in 3600)');
my ($first) = grep { $_->{source} eq 'oauth' && $_->{refresh_token} } @{ issued() };
ok t_cmp($first->{token} // '', qr/^xoxe\.xoxb-/, 'the mock issued a rotating token');
ok t_cmp(json(api($r, GET => 'workspaces'))->{workspaces}[0]{token_rotation} ? 1 : 0, 1,
         'workspace shows token rotation');
my $seq = $mock->last_seq;
$res = api($r, GET => 'channels');
ok t_cmp($res->code, 200, 'GET api/channels with a token that needs a refresh: 200');
my $calls = $mock->calls(since => $seq);
ok t_cmp($calls->[0]{method} // '', 'oauth.v2.access', 'the first call to Slack is oauth.v2.access');
ok t_cmp($calls->[0]{body}{grant_type} // '', 'refresh_token', 'with grant_type=refresh_token');
ok t_cmp($calls->[0]{body}{refresh_token} // '', $first->{refresh_token}, 'with the refresh token of the install');
ok t_cmp($calls->[0]{headers}{Authorization} // '', 'Basic ' . encode_base64('1111.2222:mock-client-secret', ''),
         'client authentication by HTTP Basic');
my ($second) = grep { $_->{source} eq 'refresh' } @{ issued() };
ok t_cmp($second->{token} // '', qr/^xoxe\.xoxb-/, 'the mock issued a refreshed token');
my @lists = grep { $_->{method} eq 'conversations.list' } @$calls;
ok t_cmp(scalar @lists, 1, 'then conversations.list (one call: 1000 channels per call)');
ok t_cmp(scalar(grep { ($_->{token} // '') eq ($second->{token} // 'x') } @lists), scalar @lists,
         'every conversations.list call uses the new access token');
ok t_cmp(scalar(grep { $_->{state} eq 'answered' && !$_->{response}{ok} } @$calls), 0, 'Slack refused none of them');

# The new refresh token was kept: the next refresh presents it (the first one is spent).
$seq = $mock->last_seq;
$res = api($r, GET => 'channels');
ok t_cmp($res->code, 200, 'second GET api/channels: 200');
my ($refresh2) = @{ $mock->calls(method => 'oauth.v2.access', since => $seq) };
ok t_cmp($refresh2->{body}{refresh_token} // '', $second->{refresh_token}, 'the next refresh uses the kept new refresh token');
ok t_cmp($refresh2->{response}{ok} ? 1 : 0, 1, 'and Slack accepts it');

# --- rotation, token with 12 h left: used as is
$mock->seed(token_rotation => {enabled => JSON::PP::true, expires_in => 43200});
my ($t) = launch('acc_tok_3');
install($t);
my ($fresh) = grep { $_->{source} eq 'oauth' && ($_->{expires_in_s} // 0) > 40000 } @{ issued() };
$seq = $mock->last_seq;
$res = api($t, GET => 'channels');
ok t_cmp($res->code, 200, 'GET api/channels with a 12 h token: 200');
ok t_cmp(scalar @{ $mock->calls(method => 'oauth.v2.access', since => $seq) }, 0, 'no refresh with 12 h left');
@lists = @{ $mock->calls(method => 'conversations.list', since => $seq) };
ok t_cmp(scalar(@lists) && !grep({ ($_->{token} // '') ne ($fresh->{token} // 'x') } @lists) ? 1 : 0, 1,
         'the installed token is used');

# --- nothing in clear at rest
my @secrets = grep { defined && length } map { ($_->{token}, $_->{refresh_token}) } @{ issued() };
ok t_cmp(scalar @secrets >= 6 ? 1 : 0, 1, 'tokens and refresh tokens to look for: ' . scalar @secrets);
my $db = join '', map { slurp($_) } grep { -f } map { "$logs/nexte.sqlite$_" } ('', '-wal', '-journal');
my $log = slurp("$logs/error_log");
ok t_cmp(index($db, 'acc_tok_2') >= 0 && index($db, 'Mock Agency') >= 0 ? 1 : 0, 1,
         'the bytes read hold the stored workspaces (right files)');
ok t_cmp(index($log, 'acc_tok_2') >= 0 ? 1 : 0, 1, 'the error log read is the live one (it names the accounts)');
ok t_cmp(length($db) > 0 && scalar(grep { index($db, $_) >= 0 } @secrets) == 0 ? 1 : 0, 1,
         'no token appears in the SQLite database or its WAL');
ok t_cmp(length($log) > 0 && scalar(grep { index($log, $_) >= 0 } @secrets) == 0 ? 1 : 0, 1,
         'no token appears in the error log');
