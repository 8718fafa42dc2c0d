# Every directive family is validated at config time: `httpd -t` on a bad
# value fails with a message naming the directive, the value and what is
# expected.  Each case runs the real httpd binary on a small config.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(plan ok);
use Apache::TestUtil qw(t_cmp);
use File::Temp qw(tempdir);

my $httpd   = Apache::Test::vars('httpd');
my $modules = `apxs -q LIBEXECDIR`; chomp $modules;
my $so      = $ENV{NXS_MODULE_SO} or die "NXS_MODULE_SO is not set";
my $dir     = tempdir(CLEANUP => 1);

sub write_file {
    my ($path, $bytes, $mode) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh;
    chmod $mode // 0600, $path;
    return $path;
}

my $key      = write_file("$dir/token.key", 'k' x 32);
my $key_31   = write_file("$dir/short.key", 'k' x 31);
my $key_64   = write_file("$dir/long.key",  'k' x 64);
my $secret   = write_file("$dir/secret",    "file-secret-0123456789\n");
my $public   = write_file("$dir/public",    "file-secret-0123456789\n", 0644);

my %base = (
    NexteSlackEventSecret  => 'inline-secret-0123456789',
    NexteSlackTokenKeyFile => $key,
    NexteSlackAppURL       => 'https://app.nexte.test',
);

# Runs httpd -t with the base directives, minus those named in DROP, plus
# EXTRA lines.  Returns (exit code, combined output).
sub configtest {
    my (%o) = @_;
    my %d = %base;
    delete @d{ @{ $o{drop} || [] } };
    my $conf = join "\n",
        "ServerRoot $dir",
        "LoadModule mpm_event_module $modules/mod_mpm_event.so",
        "LoadModule authz_core_module $modules/mod_authz_core.so",
        "LoadModule nexte_slack_module $so",
        'ServerName localhost', 'Listen 127.0.0.1:1', "ErrorLog $dir/error.log",
        "DefaultRuntimeDir $dir",
        (map { "$_ $d{$_}" } sort keys %d),
        @{ $o{extra} || [] }, '';
    write_file("$dir/httpd.conf", $conf);
    my $out = `$httpd -t -f $dir/httpd.conf 2>&1`;
    return ($? >> 8, $out);
}

# [ what, extra lines, dropped base directives, expected message ]
my @bad = (
    ['duration without unit', ['NexteSlackRetryWindow 10'], [],
     qr/NexteSlackRetryWindow: invalid value '10'; expected a duration with a unit/],
    ['duration with unknown unit', ['NexteSlackReconnectGrace 30x'], [],
     qr/NexteSlackReconnectGrace: invalid value '30x'; expected a duration/],
    ['negative duration', ['NexteSlackReconnectGrace -1d'], [],
     qr/NexteSlackReconnectGrace: invalid value '-1d'/],
    ['duration above a year', ['NexteSlackRetryWindow 400d'], [],
     qr/NexteSlackRetryWindow: invalid value '400d'.*at most 365d/],
    ['backoff min above max', ['NexteSlackRetryBackoff 10s 1s'], [],
     qr/NexteSlackRetryBackoff: invalid value '10s 1s'; expected MIN MAX with MIN <= MAX/],
    ['backoff max above retry window', ['NexteSlackRetryWindow 1h', 'NexteSlackRetryBackoff 1s 2h'], [],
     qr/NexteSlackRetryBackoff: the maximum backoff 2h exceeds NexteSlackRetryWindow 1h/],
    ['secret file missing', ['NexteSlackSigningSecret file:/nonexistent/secret'], [],
     qr{NexteSlackSigningSecret: invalid value 'file:/nonexistent/secret'; expected a readable file}],
    ['secret file relative', ['NexteSlackClientSecret file:relative'], [],
     qr{NexteSlackClientSecret: invalid value 'file:relative'; expected file: followed by an absolute path}],
    ['inline secret too short, value not echoed', ['NexteSlackEventSecret short'], ['NexteSlackEventSecret'],
     qr/NexteSlackEventSecret: invalid value '\(inline secret, not shown\)'; expected a secret of at least 16 bytes/],
    ['key file of 31 bytes', ["NexteSlackTokenKeyFile $key_31"], ['NexteSlackTokenKeyFile'],
     qr/NexteSlackTokenKeyFile: invalid value '\Q$key_31\E'; expected a file of exactly 32 random bytes.*has 31/],
    ['key file of 64 bytes', ["NexteSlackTokenKeyFile $key_64"], ['NexteSlackTokenKeyFile'],
     qr/NexteSlackTokenKeyFile: invalid value '\Q$key_64\E'; expected a file of exactly 32 random bytes/],
    ['URL with another scheme', ['NexteSlackAppURL ftp://files.nexte.test'], ['NexteSlackAppURL'],
     qr{NexteSlackAppURL: invalid value 'ftp://files.nexte.test'; expected an http:// or https:// URL}],
    ['relative URL', ['NexteSlackAPIBase slack.com/api'], [],
     qr{NexteSlackAPIBase: invalid value 'slack.com/api'; expected an absolute URL}],
    ['URL with a query', ['NexteSlackCallbackURL https://core.nexte.test/cb?x=1'], [],
     qr{NexteSlackCallbackURL: invalid value 'https://core.nexte.test/cb\?x=1'; expected a URL without user info, query}],
    ['SDBM queue', ["NexteSlackQueue SDBM $dir/q"], [],
     qr/NexteSlackQueue: invalid value 'SDBM'; expected GDBM or DB \(SDBM limits each record to 1008 bytes/],
    ['unknown DBM type', ["NexteSlackQueue NDBM $dir/q"], [],
     qr/NexteSlackQueue: invalid value 'NDBM'; expected GDBM or DB/],
    ['queue in a missing directory', ['NexteSlackQueue GDBM /nonexistent/dir/q'], [],
     qr{NexteSlackQueue: invalid value 'GDBM /nonexistent/dir/q'; expected a path in an existing directory}],
    ['queue inside a virtual host', ['<VirtualHost 127.0.0.1:1>', "NexteSlackQueue GDBM $dir/q", '</VirtualHost>'], [],
     qr/NexteSlackQueue: only allowed in the main server configuration/],
    ['zero workers', ['NexteSlackWorkers 0'], [],
     qr/NexteSlackWorkers: invalid value '0'; expected a whole number from 1 to 256/],
    ['too many workers', ['NexteSlackWorkers 257'], [],
     qr/NexteSlackWorkers: invalid value '257'; expected a whole number from 1 to 256/],
    ['workers not a number', ['NexteSlackWorkers eight'], [],
     qr/NexteSlackWorkers: invalid value 'eight'/],
    ['channel list TTL above an hour', ['NexteSlackChannelCache 2h'], [],
     qr/NexteSlackChannelCache: invalid value '2h'; expected a duration from 1s to 1h/],
    ['channel cap of zero', ['NexteSlackChannelCache 60s 0'], [],
     qr/NexteSlackChannelCache: invalid value '0'; expected a whole number of channels from 1 to 100000/],
    ['malformed client id', ['NexteSlackClientID my-app'], [],
     qr/NexteSlackClientID: invalid value 'my-app'; expected a Slack client ID such as 1234567890.1234567890/],
    ['directive in a <Location>', ['<Location /x>', 'NexteSlackWorkers 2', '</Location>'], [],
     qr/NexteSlackWorkers not allowed in <Location> context/],
    ['event secret missing', [], ['NexteSlackEventSecret'],
     qr/NexteSlackEventSecret is required to authenticate Nexte core \(main server configuration\)/],
    ['token key missing', [], ['NexteSlackTokenKeyFile'],
     qr/NexteSlackTokenKeyFile is required to encrypt Slack tokens at rest/],
    ['app URL missing', [], ['NexteSlackAppURL'],
     qr/NexteSlackAppURL is required to link messages to Nexte records/],
    ['OAuth half configured', ['NexteSlackClientID 1111.2222', 'NexteSlackPublicURL https://slack.nexte.test'], [],
     qr/NexteSlackClientSecret is required for the Slack OAuth install/],
    ['virtual host missing a required setting',
     ['<VirtualHost 127.0.0.1:1>', 'NexteSlackClientID 1111.2222', '</VirtualHost>'], [],
     qr/NexteSlackClientSecret is required for the Slack OAuth install \(virtual host/],
);

plan tests => 2 * @bad + 7;

for my $case (@bad) {
    my ($what, $extra, $drop, $expect) = @$case;
    my ($rc, $out) = configtest(extra => $extra, drop => $drop);
    ok t_cmp($rc, 1, "$what: httpd -t fails");
    ok t_cmp($out, $expect, "$what: the message says what is wrong");
}

my ($rc, $out) = configtest(extra => [
    "NexteSlackSigningSecret file:$secret", 'NexteSlackClientID 1111.2222',
    "NexteSlackClientSecret file:$public", 'NexteSlackPublicURL https://slack.nexte.test/',
    'NexteSlackRetryWindow 20s', 'NexteSlackRetryBackoff 100ms 2s', 'NexteSlackWorkers 256',
    "NexteSlackQueue gdbm $dir/queue", 'NexteSlackReconnectGrace 30d',
    'NexteSlackCallbackURL https://core.nexte.test/slack/callback', 'NexteSlackChannelCache 30s 5000',
]);
ok t_cmp($rc, 0, 'a complete valid configuration passes httpd -t');
ok t_cmp($out, qr/Syntax OK/, 'and says Syntax OK');
ok t_cmp($out, qr/NexteSlackClientSecret: \Q$public\E is readable by every user/,
    'a world-readable secret file is warned about');

($rc, $out) = configtest();
ok t_cmp($rc, 0, 'the minimal configuration (defaults for everything optional) passes');

# Plain http to another host: warned about at configtest, not refused;
# loopback (the suite's mock) stays silent.
($rc, $out) = configtest(extra => [
    'NexteSlackCallbackURL http://core.nexte.test/cb', 'NexteSlackAPIBase http://127.0.0.1:9/api',
]);
ok t_cmp($rc, 0, 'a cleartext URL still passes httpd -t');
ok t_cmp($out, qr{NXS00170: NexteSlackCallbackURL: http://core\.nexte\.test/cb is plain http to a host that is not loopback: .* would travel in clear},
    'an http:// NexteSlackCallbackURL to another host is warned about');
ok t_cmp($out =~ /NexteSlackAPIBase/ ? 1 : 0, 0, 'an http:// loopback NexteSlackAPIBase is not');
