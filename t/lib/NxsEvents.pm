package NxsEvents;

# Nexte core's side of the events API (README "Events: the ingest API") for Apache-Test
# .t files: build, sign and post events; connect an account to the mock Slack with a
# category -> channel map; read the status counters; wait for messages at the mock.
#
#   use NxsEvents qw(:all);
#   my $b = connect_account('acc_ev_1', categories => {payments => 'C0PAYMENTS'});
#   my $ev = event('invoice.paid', account_id => 'acc_ev_1', marker => 'p1');
#   my $res = post_event($ev);                          # signed, Content-Type application/json
#   is(json($res)->{status}, 'queued');
#   my $msgs = wait_messages(channel => 'C0PAYMENTS', count => 1, since_ts => $mark);
#   is(marker_of($msgs->[0]), 'p1');
#
# Markers: event(..., marker => 'x1-3') puts "R-x1-3" in the event where the message's
# text fallback shows it (the record number; the lead's name for lead.received, the
# title for appointment.booked), so
# that a test can tell which event a message came from. marker_of() reads it back.

use v5.36;
use Carp qw(croak);
use IO::Handle;
use POSIX ();
use Digest::SHA qw(hmac_sha256_hex);
use Exporter qw(import);
use HTTP::Request;
use JSON::PP;
use LWP::UserAgent;
use Time::HiRes qw(sleep time);

use Apache::Test ();
use Apache::TestRequest ();
use NxsClient qw(secret base_url launch install api json core_account);
use NxsMock;

our @EXPORT_OK = qw(httpd_pids server_up events_path fixture event event_body event_signature post_event post_raw
                    connect_account status_json counters prometheus wait_until wait_messages
                    marker_of markers_of mock unique_id new_ua json start_stream finish_stream);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

*json = \&NxsClient::json;    # the JSON body of a response (undef when it is not JSON)

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub events_path () { '/nexte/events' }

# Every process of the httpd under test (parent, children, delivery daemon): they all
# run with its configuration file on their command line.
sub httpd_pids () {
    my $conf_file = Apache::Test::config()->{vars}{t_conf_file};
    my @pids;
    opendir my $dh, '/proc' or die "/proc: $!";
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        next if $pid == $$;
        open my $fh, '<', "/proc/$pid/cmdline" or next;
        local $/;
        my $cmd = <$fh> // '';
        close $fh;
        push @pids, $pid if index($cmd, $conf_file) >= 0 && $cmd !~ /perl/;
    }
    closedir $dh;
    return sort { $a <=> $b } @pids;
}

# 1 when the server answers its status page.
sub server_up () {
    my $res = new_ua(timeout => 2)->get(base_url() . '/nexte/status');
    return $res->code == 200 ? 1 : 0;
}

my $MOCK;
sub mock () { $MOCK //= NxsMock->new }

# A fresh event id: unique in this process and across runs of the suite.
my $ID_SEQ = 0;
sub unique_id ($prefix = 'evt') { sprintf '%s_%d_%d_%d', $prefix, $$, int(time * 1000) % 100_000_000, ++$ID_SEQ }

# The fixture event of TYPE (t/fixtures/events/TYPE.json), decoded.
my %FIXTURE;
sub fixture ($type) {
    $FIXTURE{$type} //= do {
        my $file = ($ENV{NXS_FIXTURES} // 't/fixtures') . "/events/$type.json";
        open my $fh, '<:raw', $file or croak "NxsEvents: no fixture for $type ($file): $!";
        local $/;
        my $text = <$fh>;
        $JSON->decode($text);
    };
    return $JSON->decode($JSON->encode($FIXTURE{$type}));    # a deep copy
}

# An event of TYPE from its fixture, with a fresh id and occurred_at now. Overrides:
# top-level keys replace the fixture's (undef deletes); data => {...} is merged into
# data; marker => 'tag' puts R-tag where the text fallback shows it.
sub event ($type, %over) {
    my $ev = fixture($type);
    $ev->{id} = unique_id();
    my @t = gmtime;
    $ev->{occurred_at} = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
    if (defined(my $marker = delete $over{marker})) {
        if ($type eq 'lead.received') {
            $ev->{data}{contact}{name} = "R-$marker";
        } elsif ($type eq 'appointment.booked') {
            $ev->{data}{title} = "R-$marker";
        } else {
            $ev->{record}{number} = "R-$marker";
        }
    }
    if (my $data = delete $over{data}) {
        $ev->{data}{$_} = $data->{$_} for keys %$data;
    }
    for my $k (keys %over) {
        if (defined $over{$k}) { $ev->{$k} = $over{$k} } else { delete $ev->{$k} }
    }
    return $ev;
}

# The JSON text of an event (a string is returned as is).
sub event_body ($ev) { ref $ev ? $JSON->encode($ev) : $ev }

# "v1=" hex HMAC-SHA256(secret, "v1:" ts ":" body).
sub event_signature ($ts, $body, $secret = undef) {
    return 'v1=' . hmac_sha256_hex("v1:$ts:$body", $secret // secret());
}

my $UA;
sub new_ua (%opt) { LWP::UserAgent->new(timeout => $opt{timeout} // 30, keep_alive => 0, max_redirect => 0,
                                        agent => 'NexteCore/test') }

# POSTs an event (hashref or JSON text), signed. Options:
#   ts => unix seconds (default now)      secret => key to sign with
#   sign_body => text to sign instead of the body (a signature over another body)
#   signature => the raw X-Nexte-Signature value   omit => [header names not to send]
#   content_type => value (default application/json)   method => 'POST'
#   headers => {extra headers}            ua => an LWP::UserAgent   timeout => seconds
sub post_event ($ev, %opt) {
    my $body = event_body($ev);
    my $ts = $opt{ts} // time;
    $ts = int $ts if $ts =~ /^-?\d+(?:\.\d*)?$/;    # a non-number is sent as given
    my %h = (
        'Content-Type'      => $opt{content_type} // 'application/json',
        'X-Nexte-Timestamp' => $ts,
        'X-Nexte-Signature' => $opt{signature} // event_signature($ts, $opt{sign_body} // $body, $opt{secret}),
        %{ $opt{headers} // {} },
    );
    delete $h{$_} for @{ $opt{omit} // [] };
    return post_raw($opt{method} // 'POST', $body, \%h, %opt);
}

# A raw request to the events location: post_raw(METHOD, BODY, {headers}, ua => ..., path => ...).
sub post_raw ($method, $body, $headers = {}, %opt) {
    my $ua = $opt{ua} // ($opt{timeout} ? new_ua(timeout => $opt{timeout}) : ($UA //= new_ua()));
    my $req = HTTP::Request->new($method => base_url() . ($opt{path} // events_path()));
    $req->header($_ => $headers->{$_}) for sort keys %$headers;
    if (defined $body && length $body) {
        $req->content($body);
        $req->header('Content-Length' => length $body);
    } elsif ($method ne 'GET' && $method ne 'HEAD') {
        $req->header('Content-Length' => 0);
    }
    return $ua->request($req);
}

# Connects ACCOUNT to the mock's T0MOCK01 (OAuth install through NxsClient) and maps
# categories: categories => {payments => 'C0PAYMENTS', ...}, mentions => {payments => 'here'},
# team => 'T0MOCK02', account => {plan, timezone, locale, currency}. Croaks on failure.
# Returns the settings browser (with ->{account} and ->{csrf}).
sub connect_account ($account, %opt) {
    my ($b) = launch($account);
    if ($opt{account}) {
        core_account($account, $opt{account});
    }
    my $res = install($b, ($opt{team} ? (team => $opt{team}) : ()), mock => mock());
    croak "NxsEvents: install for $account did not connect: " . $res->status_line . ' '
        . ($res->header('Location') // $res->content)
        unless $res->code == 302 && ($res->header('Location') // '') =~ /connected=T/;
    my $cats = $opt{categories} // {};
    for my $cat (sort keys %$cats) {
        my $body = {channel_id => $cats->{$cat}};
        $body->{mention} = $opt{mentions}{$cat} if $opt{mentions} && $opt{mentions}{$cat};
        $res = api($b, PUT => "categories/$cat", $body);
        croak "NxsEvents: PUT categories/$cat for $account: " . $res->status_line . ' ' . $res->content
            unless $res->code == 200;
    }
    return $b;
}

# GET /nexte/status, decoded (undef when not JSON).
sub status_json () {
    my $res = new_ua()->get(base_url() . '/nexte/status');
    return eval { $JSON->decode($res->content) };
}

# The daemon's counters from the status endpoint ({} when it does not answer).
sub counters () { (status_json() // {})->{counters} // {} }

# The Prometheus text of the status endpoint.
sub prometheus () { new_ua()->get(base_url() . '/nexte/status?format=prometheus')->content }

# Polls PROBE every 100 ms until it returns true or TIMEOUT seconds pass; returns its last value.
sub wait_until ($timeout, $probe, $every = 0.1) {
    my $deadline = time + $timeout;
    while (1) {
        my $v = $probe->();
        return $v if $v || time >= $deadline;
        sleep $every;
    }
}

# Messages at the mock (filters: channel, team, since_ts), waiting until COUNT are there
# or TIMEOUT passes; returns what there is.
sub wait_messages (%opt) { mock()->wait_for_messages(%opt) }

# The marker (see event) a message or call body carries in its text, or undef.
sub marker_of ($m) {
    my $text = ref $m ? ($m->{text} // ($m->{body} && $m->{body}{text}) // '') : $m;
    return $text =~ /\bR-([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)/ ? $1 : undef;
}

sub markers_of ($list) { [map { marker_of($_) // '?' } @$list] }

# A stream of events from another process, sent like Nexte core does: one after the other,
# each retried (every 100 ms) until it is answered 202, or 200 duplicate when the module had
# stored it before failing to answer. opt: routes => [[account, type], ...] (round robin),
# prefix => marker prefix (markers are PREFIX-1, PREFIX-2, ...), seconds, rate (events/s).
# finish_stream waits for the sender and returns {accepted => {marker => route index},
# codes => {marker => code}, refused => [...], errors => [...], retries => N}.
sub start_stream (%opt) {
    my @routes = @{ $opt{routes} };
    my ($prefix, $seconds, $rate) = ($opt{prefix} // 's', $opt{seconds} // 5, $opt{rate} // 5);
    pipe(my $r, my $w) or croak "pipe: $!";
    STDOUT->flush;
    STDERR->flush;
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        close $r;
        $w->autoflush(1);
        eval {
            my $ua = new_ua(timeout => 15);
            my $end = time + $seconds;
            my $n = 0;
            while (time < $end) {
                my $route = $n % @routes;
                my ($acc, $type, @extra) = @{ $routes[$route] };
                my $marker = "$prefix-" . ++$n;
                my $ev = event($type, account_id => $acc, marker => $marker, @extra);
                my $tries = 0;
                while (1) {
                    my $res = post_event($ev, ua => $ua);
                    my $code = $res->code;
                    if ($code == 202 || $code == 200) { print $w "A $marker $route $code\n"; last }
                    if ($code >= 400 && $code < 500) { print $w "R $marker $code\n"; last }
                    print $w "T $marker $code\n";
                    if (++$tries > 400) { print $w "R $marker gave-up-after-$code\n"; last }
                    sleep 0.1;
                }
                sleep 1 / $rate;
            }
        };
        print $w "E $@\n" if $@;
        close $w;
        POSIX::_exit(0);    # no END blocks, no Apache::Test summary in the child
    }
    close $w;
    return {pid => $pid, fh => $r};
}

sub finish_stream ($s) {
    my %out = (accepted => {}, codes => {}, refused => [], errors => [], retries => 0, retry_codes => {});
    my $fh = $s->{fh};
    while (my $line = <$fh>) {
        chomp $line;
        my ($kind, @f) = split / /, $line;
        if ($kind eq 'A') { $out{accepted}{ $f[0] } = $f[1]; $out{codes}{ $f[0] } = $f[2] }
        elsif ($kind eq 'T') { $out{retries}++; $out{retry_codes}{ $f[1] }++ }
        elsif ($kind eq 'R') { push @{ $out{refused} }, "@f" }
        else { push @{ $out{errors} }, "@f" }
    }
    close $fh;
    waitpid $s->{pid}, 0;
    return \%out;
}

1;
