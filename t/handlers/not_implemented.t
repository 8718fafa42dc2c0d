# The foundation's only placeholder: the four handlers whose issues have not
# landed yet answer a JSON 501 not_implemented (never a silent 200).  This
# test is replaced, handler by handler, as each feature lands.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestRequest qw(GET POST);
use Apache::TestUtil qw(t_cmp);
use JSON::PP qw(decode_json);

my %handlers = (
    '/nexte/interactions' => 'nexte-slack-interactions',
);

plan tests => 4 * keys %handlers, need_lwp;

for my $path (sort keys %handlers) {
    my $res = POST $path, content => '{}', 'Content-Type' => 'application/json';
    ok t_cmp($res->code, 501, "$path answers 501");
    ok t_cmp($res->header('Content-Type'), qr{^application/json}, "$path answers JSON");
    my $body = decode_json($res->content);
    ok t_cmp($body->{error}, 'not_implemented', "$path error code");
    ok t_cmp($body->{message}, qr/\Q$handlers{$path}\E/, "$path message names the handler");
}
