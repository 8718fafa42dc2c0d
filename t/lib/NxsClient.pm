package NxsClient;

# The Nexte side and the browser side of the settings and OAuth handlers, for
# Apache-Test .t files (README "Settings: launch link, Slack install, JSON API").
#
#   use NxsClient qw(:all);
#   my ($b, $csrf) = launch('acc_api_1');                 # a logged-in browser and its CSRF token
#   my $res = api($b, PUT => 'categories/payments', {channel_id => 'C0PAYMENTS'});
#   my $cfg = json(api($b, GET => 'config'));
#   $res = signed('acc_api_1', GET => '/nexte/settings/api/config');   # as Nexte core
#   $res = install($b, team => 'T0MOCK02');              # Add to Slack through the mock
#
# Browsers are LWP::UserAgent objects (NxsClient::Browser) with their own cookie jar that
# never follow redirects, so every 302 can be checked. Each remembers the base URL of
# the (virtual) host it was made for: Apache::TestRequest::module('nexte_grace') before
# browser()/launch() makes a browser of that vhost.

use v5.36;
use Carp qw(croak);
use Digest::SHA qw(hmac_sha256_hex);
use Exporter qw(import);
use HTTP::Request;
use JSON::PP;
use LWP::UserAgent;
use URI;
use URI::Escape qw(uri_escape);

use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(secret base_url browser launch_url launch api request json signed sign_headers
                    canonical install start_install settings_path oauth_path api_path unique_exp core_account);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub settings_path () { '/nexte/settings' }
sub oauth_path ()    { '/nexte/oauth' }
sub api_path ()      { '/nexte/settings/api/' }

my $SECRET;

# The suite's event secret (t/fixtures/keys/event_secret without its trailing newline).
sub secret () {
    return $SECRET if defined $SECRET;
    my $file = ($ENV{NXS_FIXTURES} // 't/fixtures') . '/keys/event_secret';
    open my $fh, '<:raw', $file or croak "NxsClient: cannot read $file: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    $s =~ s/\n\z//;
    return $SECRET = $s;
}

# http://host:port of the server (or of the vhost chosen with Apache::TestRequest::module),
# or $NxsClient::BASE when a test sets it (the own httpd of t/lib/NxsFaketime.pm).
our $BASE;
sub base_url () { $BASE // 'http://' . Apache::TestRequest::hostport() }

# An expiry a few minutes ahead, different on every call so that links of one account
# made in the same second are different links (each link works once).
my $EXP_SEQ = 0;
sub unique_exp ($ahead = 300) { time + $ahead + $EXP_SEQ++ }

# Path and query of a launch link; opt: secret (to forge), sig (to replace the signature).
sub launch_url ($account, $exp, %opt) {
    my $sig = $opt{sig} // hmac_sha256_hex("launch:$account:$exp", $opt{secret} // secret());
    return settings_path() . '/launch?account=' . uri_escape($account) . '&exp=' . uri_escape($exp)
         . '&sig=' . $sig;
}

# A fresh browser: own cookie jar, no redirects followed.
sub browser (%opt) {
    return NxsClient::Browser->new(base => $opt{base} // base_url());
}

# Opens a settings session for ACCOUNT through a fresh launch link. Returns the browser
# (with ->{account}, ->{csrf}) and, in list context, the CSRF token too. Croaks when the
# launch does not work, so that tests built on it fail loudly.
sub launch ($account, %opt) {
    my $b = $opt{browser} // browser(%opt);
    my $res = $b->get($b->url(launch_url($account, unique_exp())));
    croak "NxsClient: launch for $account answered " . $res->status_line . ': ' . $res->decoded_content
        unless $res->code == 302;
    my $session = $b->get($b->url(api_path() . 'session'));
    croak "NxsClient: api/session answered " . $session->status_line unless $session->code == 200;
    my $data = $JSON->decode($session->content);
    $b->{account} = $data->{account};
    $b->{csrf} = $data->{csrf_token};
    return wantarray ? ($b, $b->{csrf}) : $b;
}

# A raw request with the browser: request($b, METHOD, path, headers => {...}, content => '...').
# A path without a leading / is under the settings API.
sub request ($b, $method, $path, %opt) {
    $path = api_path() . $path unless $path =~ m{^(?:/|https?://)};
    my $req = HTTP::Request->new($method => $b->url($path));
    my $h = $opt{headers} // {};
    $req->header($_ => $h->{$_}) for sort keys %$h;
    if (defined $opt{content}) {
        $req->content($opt{content});
        $req->header('Content-Length' => length $opt{content});
    } elsif ($method ne 'GET' && $method ne 'HEAD') {
        $req->header('Content-Length' => 0);
    }
    return $b->request($req);
}

# A settings API call with the browser's session. BODY: a reference (sent as JSON), a
# string (sent as is) or undef (no body). CSRF: undef sends the browser's own token on
# writes, '' sends no X-CSRF-Token, anything else is sent as given.
sub api ($b, $method, $path, $body = undef, $csrf = undef) {
    my %h;
    my $content;
    if (defined $body) {
        $content = ref $body ? $JSON->encode($body) : $body;
        $h{'Content-Type'} = 'application/json';
    }
    if ($method ne 'GET' && $method ne 'HEAD') {
        my $token = $csrf // $b->{csrf};
        $h{'X-CSRF-Token'} = $token if defined $token && length $token;
    }
    return request($b, $method, $path, headers => \%h, content => $content);
}

# The JSON body of a response (undef when it is not JSON).
sub json ($res) {
    my $data = eval { $JSON->decode($res->content) };
    return $data;
}

# The text Nexte core signs: "v1:" ts ":" METHOD " " PATH?QUERY "\n" ACCOUNT "\n" BODY.
sub canonical ($ts, $method, $path, $account, $body) {
    return "v1:$ts:$method $path\n$account\n$body";
}

# The three headers of a signed call; opt: ts, secret.
# A signed change is accepted once (409 replayed_request after): two identical calls in one
# second would sign the same text, so the second takes an earlier second, as a client that
# re-signs would. opt ts: sign exactly at that time.
my %SIGNED;
sub sign_headers ($account, $method, $path, $body = '', %opt) {
    my $ts = $opt{ts};
    if (!defined $ts) {
        $ts = time;
        $ts-- while $SIGNED{"$ts $method $path\n$account\n$body"}++;
    }
    my $sig = hmac_sha256_hex(canonical($ts, $method, $path, $account, $body), $opt{secret} // secret());
    return ('X-Nexte-Account' => $account, 'X-Nexte-Timestamp' => $ts, 'X-Nexte-Signature' => "v1=$sig");
}

# A call as Nexte core: signed, no cookie. PATH is the full path (and query), e.g.
# /nexte/settings/api/config. BODY: reference (JSON), string or undef. opt: ts, secret,
# headers (a hashref applied after the signature headers, to tamper with them).
sub signed ($account, $method, $path, $body = undef, %opt) {
    my $content = defined $body ? (ref $body ? $JSON->encode($body) : $body) : '';
    my %h = sign_headers($account, $method, $path, $content, %opt);
    $h{'Content-Type'} = 'application/json' if length $content;
    %h = (%h, %{ $opt{headers} // {} });
    my $b = $opt{browser} // browser();
    return request($b, $method, $path, headers => \%h, content => (length $content ? $content : undef));
}

# Sets ACCOUNT's plan, timezone, locale or currency (FIELDS, a hashref) the way production
# does: a PUT api/account signed as Nexte core (a browser session may not). opt: browser (to
# reach another virtual host). Croaks unless 200; returns the response.
sub core_account ($account, $fields, %opt) {
    my $res = signed($account, PUT => api_path() . 'account', $fields, %opt);
    croak "NxsClient: signed PUT account for $account: " . $res->status_line . ' ' . $res->content
        unless $res->code == 200;
    return $res;
}

# Begins an install the way the settings page's "Add to Slack" button does: POST <oauth>/start
# with the session's CSRF token as the form field csrf_token (opt csrf: another value; '' sends
# none), then the mock's authorize page. Returns a hashref:
# start (response), authorize_url, authorize (the mock's response), callback_url (where
# the mock sends the browser back; undef when the walk stopped early).
sub start_install ($b, %opt) {
    my $mock = $opt{mock} // do { require NxsMock; NxsMock->new };
    my %walk;
    $mock->decision(team => $opt{team}) if $opt{team};
    $mock->decision(%{ $opt{decision} }) if $opt{decision};
    my $csrf = $opt{csrf} // $b->{csrf};
    $walk{start} = $b->post($b->url(oauth_path() . '/start'), length($csrf // '') ? { csrf_token => $csrf } : {});
    return \%walk unless $walk{start}->code == 302;
    $walk{authorize_url} = $walk{start}->header('Location');
    $walk{authorize} = $b->get($walk{authorize_url});
    return \%walk unless $walk{authorize}->code == 302;
    $walk{callback_url} = $walk{authorize}->header('Location');
    return \%walk;
}

# Add to Slack from start to end: start → mock authorize → callback. Returns the
# callback's response (or the response where the walk stopped) and, in list context,
# the walk of start_install too. opt: team (mock decision), decision (hashref), mock.
sub install ($b, %opt) {
    my $walk = start_install($b, %opt);
    my $last = $walk->{authorize} // $walk->{start};
    if ($walk->{callback_url}) {
        $last = $walk->{callback} = $b->get($walk->{callback_url});
    }
    return wantarray ? ($last, $walk) : $last;
}

package NxsClient::Browser;

use v5.36;
use parent -norequire, 'LWP::UserAgent';

sub new ($class, %opt) {
    my $base = delete $opt{base};
    my $self = LWP::UserAgent->new(max_redirect => 0, cookie_jar => {}, timeout => 30, keep_alive => 0,
                                   agent => 'NxsClient/1.0');
    bless $self, $class;
    $self->{nxs_base} = $base;
    return $self;
}

sub base ($self) { $self->{nxs_base} }

# An absolute URL for a path of this browser's host.
sub url ($self, $path) { $path =~ m{^https?://} ? $path : $self->{nxs_base} . $path }

1;
