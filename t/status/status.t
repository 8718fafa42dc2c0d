# nexte-slack-status: JSON with version, build and the effective non-secret
# configuration; Prometheus text with ?format=prometheus; GET only.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use JSON::PP qw(decode_json);

plan tests => 24, need_lwp;

my $res = GET '/nexte/status';
ok t_cmp($res->code, 200, 'status answers 200');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'as JSON');
my $s = decode_json($res->content);
ok t_cmp($s->{status}, 'ok', 'reports ok');
ok t_cmp($s->{module}, 'mod_nexte_slack', 'names the module');
ok t_cmp($s->{version}, qr/^\d+\.\d+\.\d+$/, 'carries the version');
ok t_cmp($s->{build}{httpd}, qr{^Apache/2\.4}, 'carries the httpd banner');
ok t_cmp($s->{build}{libraries}{curl}, qr/^\d+\.\d+/, 'carries the libcurl version');
ok t_cmp($s->{build}{libraries}{icu}, qr/^\d+/, 'carries the ICU version');

my $c = $s->{config};
ok t_cmp($c->{workers}, 4, 'effective NexteSlackWorkers');
ok t_cmp($c->{retry_window_seconds}, 20, 'effective NexteSlackRetryWindow (20s)');
ok t_cmp($c->{retry_backoff_seconds}{min}, 0.1, 'backoff min 100ms');
ok t_cmp($c->{retry_backoff_seconds}{max}, 2, 'backoff max 2s');
ok t_cmp($res->content, qr/"retry_backoff_seconds":\{"min":0\.1,"max":2\.0\}/,
    'reals as people read them (0.1, not 0.10000000000000001)');
ok t_cmp($c->{queue}{type}, 'GDBM', 'queue type');
ok t_cmp($c->{api_base}, qr{^http://127\.0\.0\.1:\d+/api$}, 'API base points at the mock');
ok t_cmp($c->{event_secret}, 'set (file)', 'event secret shown as set, not its value');
ok t_cmp($c->{client_secret}, 'set (inline)', 'client secret shown as set, not its value');
ok t_cmp(scalar(() = $res->content =~ /mock-client-secret|test-event-secret|mock-signing-secret/g),
    0, 'no secret value anywhere in the body');
ok t_cmp(ref $s->{counters}, 'HASH', 'has a counters section');

$res = GET '/nexte/status?format=prometheus';
ok t_cmp($res->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, 'Prometheus content type');
ok t_cmp($res->content, qr/^nexte_slack_build_info\{version="[\d.]+",revision="[^"]+",httpd="[^"]+"\} 1$/m,
    'build info metric');
ok t_cmp($res->content, qr/^nexte_slack_config_retry_backoff_min_seconds 0\.1$/m,
    'Prometheus values as people read them');

$res = POST '/nexte/status', content => '';
ok t_cmp($res->code, 405, 'POST is refused with 405');
$res = GET '/nexte/status?format=xml';
ok t_cmp($res->code, 400, 'unknown format is a 400');
