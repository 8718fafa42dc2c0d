# The settings page's static files (README "Page assets"): GET
# <settings>/assets/<name> answers without a session, with the content type of the file, gzip
# when Accept-Encoding admits it (the same bytes once gunzipped), an ETag that If-None-Match
# turns into a 304, a year of caching only for the versioned URL (?v= the first 16 hex of the
# SHA-256 of the bytes, as the page links them) and no-cache otherwise; unknown names, path
# tricks and other methods are refused.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok need_lwp);
use Apache::TestUtil qw(t_cmp);
use Digest::SHA qw(sha256_hex);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use NxsClient qw(:all);

my %type = ('settings.js' => 'text/javascript; charset=utf-8', 'settings.css' => 'text/css; charset=utf-8');

plan tests => 2 * 27 + 8, need_lwp;

my $b = browser();    # no session: the assets need none
my $base = settings_path() . '/assets';

sub get { my ($path, %h) = @_; request($b, GET => $path, headers => \%h) }

for my $name (sort keys %type) {
    my $url = "$base/$name";

    # The raw bytes.
    my $res = get($url);
    my $raw = $res->content;
    my $etag = $res->header('ETag') // '';
    my $v = substr(sha256_hex($raw), 0, 16);
    ok t_cmp($res->code, 200, "$name without a session: 200");
    ok t_cmp($res->header('Content-Type'), $type{$name}, "$name: Content-Type");
    ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', "$name: nosniff");
    ok t_cmp($res->header('Vary') // '', qr/\bAccept-Encoding\b/i, "$name: Vary: Accept-Encoding");
    ok t_cmp($res->header('Content-Encoding'), undef, "$name without Accept-Encoding: not gzipped");
    ok t_cmp($res->header('Content-Length'), length $raw, "$name: Content-Length is the body's");
    ok t_cmp(length $raw > 0 ? 1 : 0, 1, "$name: has a body");
    ok t_cmp($etag, '"' . substr(sha256_hex($raw), 0, 32) . '"', "$name: strong ETag from the SHA-256 of the bytes");
    ok t_cmp($res->header('Cache-Control'), 'no-cache', "$name without ?v=: no-cache");

    # The gzip bytes.
    $res = get($url, 'Accept-Encoding' => 'gzip');
    my $gz = $res->content;
    my $plain;
    gunzip(\$gz => \$plain) or $plain = "gunzip failed: $GunzipError";
    ok t_cmp($res->code, 200, "$name with Accept-Encoding: gzip: 200");
    ok t_cmp($res->header('Content-Encoding'), 'gzip', "$name: Content-Encoding: gzip");
    ok t_cmp($res->header('Content-Type'), $type{$name}, "$name gzipped: same Content-Type");
    ok t_cmp($res->header('Content-Length'), length $gz, "$name gzipped: Content-Length is the gzip body's");
    ok t_cmp($plain eq $raw ? 1 : 0, 1, "$name: the gzip body gunzips to the raw bytes");
    my $gz_etag = $res->header('ETag') // '';
    ok t_cmp($gz_etag, qr/^"[0-9a-f]{32}-gz"$/, "$name gzipped: an ETag of its own");

    $res = get($url, 'Accept-Encoding' => 'deflate, gzip;q=0');
    ok t_cmp(($res->header('Content-Encoding') // 'none') . ' ' . $res->content eq "none $raw" ? 1 : 0, 1,
             "$name with gzip;q=0: the raw bytes");

    # Revalidation.
    $res = get($url, 'If-None-Match' => $etag);
    ok t_cmp($res->code, 304, "$name with If-None-Match of its ETag: 304");
    ok t_cmp($res->content, '', "$name 304: no body");
    ok t_cmp($res->header('ETag'), $etag, "$name 304: the ETag again");
    $res = get($url, 'If-None-Match' => $gz_etag, 'Accept-Encoding' => 'gzip');
    ok t_cmp($res->code, 304, "$name gzipped with If-None-Match of its ETag: 304");
    $res = get($url, 'If-None-Match' => $gz_etag);
    ok t_cmp($res->code, 200, "$name raw with the gzip ETag: 200 (another variant)");

    # Caching by URL.
    $res = get("$url?v=$v");
    ok t_cmp($res->code, 200, "$name?v=<version>: 200");
    ok t_cmp($res->header('Cache-Control'), 'public, max-age=31536000, immutable',
             "$name?v=<version>: immutable for a year");
    $res = get("$url?v=0000000000000000");
    ok t_cmp($res->header('Cache-Control'), 'no-cache', "$name with a wrong ?v=: no-cache");
    $res = get("$url?v=" . sha256_hex($raw));
    ok t_cmp($res->header('Cache-Control'), 'no-cache', "$name with the whole hash as ?v=: no-cache");

    # HEAD.
    $res = request($b, HEAD => $url);
    ok t_cmp($res->code . ' ' . ($res->header('Content-Length') // '-'), '200 ' . length $raw,
             "HEAD $name: 200 with the Content-Length of GET");
    ok t_cmp($res->content, '', "HEAD $name: no body");
}

# Refusals.
my $res = get("$base/nope.js");
ok t_cmp($res->code, 404, 'unknown asset: 404');
ok t_cmp((json($res) // {})->{error}, 'not_found', 'unknown asset: error not_found');
$res = get("$base/..%2fapi%2fsession");
ok t_cmp($res->code, 404, 'assets/..%2fapi%2fsession: 404');
$res = get("$base/..%2f..%2fsettings%2fsettings.js");
ok t_cmp($res->code, 404, 'assets/..%2f..%2fsettings%2fsettings.js: 404');
$res = get("$base/.settings.js");
ok t_cmp($res->code, 404, 'a name with a leading dot: 404');
$res = request($b, POST => "$base/settings.js", content => 'x');
ok t_cmp($res->code, 405, 'POST to an asset: 405');
ok t_cmp($res->header('Allow'), 'GET', 'POST to an asset: Allow: GET');
ok t_cmp((json($res) // {})->{error}, 'method_not_allowed', 'POST to an asset: error method_not_allowed');
