# Add to Slack is rate-limited per settings session (README "Add to Slack (OAuth v2)"):
# at most 10 starts of <oauth>/start in 10 minutes, an install carried to its end
# included; the 11th is a 429 page with Retry-After that says how long to wait, sends
# nothing to Slack and sets no cookie. Counted in SQL (each start's state row), so it
# holds whichever httpd process answers; another session is not held back.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use NxsClient qw(:all);
use NxsMock;

plan tests => 14, need_lwp;

my $mock = NxsMock->new;
$mock->reset;

my $ACC = 'acc_oauth_rate_1';
my ($b) = launch($ACC);

# One install carried to its end: its state, taken by the callback, still counts.
my ($final, $walk) = install($b);
ok t_cmp($final->code . ' ' . ($final->header('Location') // ''), qr{^302 .*connected=T0MOCK01$},
         'the first start, carried to its end, connects T0MOCK01');

# Nine more starts: each sends the browser to Slack.
my @codes;
for (2 .. 10) {
    my $res = $b->post($b->url(oauth_path() . '/start'), { csrf_token => $b->{csrf} });
    push @codes, $res->code . (($res->header('Location') // '') =~ /state=/ ? ' to Slack' : '');
}
ok t_cmp(join(',', @codes), join(',', ('302 to Slack') x 9), 'starts 2 to 10: each to Slack\'s authorize page');

my $seq = $mock->last_seq;
my $res = $b->post($b->url(oauth_path() . '/start'), { csrf_token => $b->{csrf} });
ok t_cmp($res->code, 429, 'the 11th start in 10 minutes: 429');
my $retry = $res->header('Retry-After') // '';
ok t_cmp($retry =~ /^\d+$/ && $retry >= 1 && $retry <= 600 ? 1 : 0, 1,
         "Retry-After: whole seconds until the first start leaves the window ($retry)");
ok t_cmp($res->header('Content-Type') // '', qr{^text/html}, 'the 429 is a page, not JSON');
ok t_cmp($res->content, qr{<h1>Please wait before connecting Slack again</h1>}, 'the page says to wait');
ok t_cmp($res->content, qr{started 10 times in 10 minutes.*Wait \d+ minutes?, then try again}s,
         'the page says why and for how long');
ok t_cmp($res->content, qr{<a href="/nexte/settings/">}, 'the page links back to the settings');
ok t_cmp($res->header('Location'), undef, 'no redirect to Slack');
ok t_cmp(scalar(grep { /^nxs_oauth=[^;]/ } $res->header('Set-Cookie')), 0, 'no install cookie');
ok t_cmp(scalar @{ $mock->calls(since => $seq) }, 0, 'nothing reached Slack');

# A refused start is not counted: the session stays refused, not further behind.
$res = $b->post($b->url(oauth_path() . '/start'), { csrf_token => $b->{csrf} });
ok t_cmp($res->code . ' ' . ($res->header('Retry-After') // ''), qr/^429 \d+$/, 'the 12th: still 429');

# Another session of the same account (a new launch link) starts at once.
my ($b2) = launch($ACC);
my ($final2) = install($b2, team => 'T0MOCK02');
ok t_cmp($final2->code . ' ' . ($final2->header('Location') // ''), qr{^302 .*connected=T0MOCK02$},
         'another session of the account is not held back');

# The setting page's session still works for everything else.
ok t_cmp(api($b, GET => 'config')->code, 200, 'the limited session still reads its settings');
