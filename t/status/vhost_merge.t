# Per-virtual-host merging: a vhost's own directives win, the rest is
# inherited from the main server, and defaults fill what neither sets.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use JSON::PP qw(decode_json);

plan tests => 8, need_lwp;

my $main = decode_json(GET('/nexte/status')->content)->{config};
Apache::TestRequest::module('nexte_vhost');
my $res = GET '/nexte/status';
ok t_cmp($res->code, 200, 'the virtual host serves its own status');
my $vh = decode_json($res->content)->{config};
Apache::TestRequest::module('default');

ok t_cmp($vh->{retry_window_seconds}, 3600, 'vhost override of NexteSlackRetryWindow');
ok t_cmp($vh->{app_url}, 'https://other.nexte.test', 'vhost override of NexteSlackAppURL');
ok t_cmp($vh->{callback_url}, 'http://127.0.0.1:9/callback', 'vhost override of NexteSlackCallbackURL');
ok t_cmp($main->{callback_url}, "http://127.0.0.1:$ENV{NXS_MOCK_CONTROL_PORT}/_mock/callbacks",
         'main server: its own NexteSlackCallbackURL (the mock\'s callback sink), not the vhost\'s');
ok t_cmp($vh->{api_base}, $main->{api_base}, 'NexteSlackAPIBase inherited from the main server');
ok t_cmp($vh->{workers}, 4, 'NexteSlackWorkers inherited (main-server-only setting)');
ok t_cmp($vh->{reconnect_grace_seconds}, 30, 'NexteSlackReconnectGrace inherited');
