# The suite's wiring: the httpd under test points at the mock Slack that
# build/run-apache-tests started, and the mock answers through NxsMock.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use JSON::PP qw(decode_json);
use NxsMock;

plan tests => 5, need_lwp;

my $mock = NxsMock->new;
my $health = $mock->health;
ok t_cmp($health->{ok}, JSON::PP::true, 'the mock Slack control port answers');
ok t_cmp($health->{api_port}, $ENV{NXS_MOCK_API_PORT}, 'on the API port the suite exported');

my $config = decode_json(GET('/nexte/status')->content)->{config};
ok t_cmp($config->{api_base}, $mock->api_base, 'NexteSlackAPIBase is the mock');
ok t_cmp($config->{authorize_url}, $mock->authorize_url, 'NexteSlackAuthorizeURL is the mock');

$mock->reset;
ok t_cmp(scalar @{ $mock->calls }, 0, 'a reset mock has recorded no call');
