package NxsMock;

# Client of the mock Slack's control API (t/mock_slack/README.md) for Apache-Test .t files.
#
#   use lib 't/lib';
#   use NxsMock;
#   my $mock = NxsMock->new;                      # ports from NXS_MOCK_CONTROL_PORT / NXS_MOCK_API_PORT
#   my $mock = NxsMock->spawn(log => 't/logs/mock_slack.log');   # or start a private mock
#   $mock->reset;
#   $mock->mode(mode => 'slack_error', error => 'channel_not_found', channel => 'C0PAYMENTS');
#   my $calls = $mock->wait_for_calls(method => 'chat.postMessage', count => 2, timeout => 5);
#   is(scalar @$calls, 2, 'two posts reached Slack');
#   my $cbs = $mock->wait_for_callbacks(type => 'slack.connection_broken', count => 1, timeout => 5);
#
# Every method dies (croak) when the control API refuses the request, so a broken test setup
# fails loudly instead of testing the wrong thing.

use v5.36;
use Carp qw(croak);
use File::Basename qw(dirname);
use File::Spec;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);

our $VERSION = '1.0';

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

# new($control_port) or new(control_port => N, api_port => N, host => '127.0.0.1')
sub new ($class, @args) {
    my %opt = @args == 1 ? (control_port => $args[0]) : @args;
    my $self = bless {
        host         => $opt{host} // '127.0.0.1',
        control_port => $opt{control_port} // $ENV{NXS_MOCK_CONTROL_PORT},
        api_port     => $opt{api_port} // $ENV{NXS_MOCK_API_PORT},
        http         => HTTP::Tiny->new(timeout => $opt{timeout} // 10, keep_alive => 1),
    }, $class;
    croak 'NxsMock: no control port (pass one or set NXS_MOCK_CONTROL_PORT)' unless $self->{control_port};
    return $self;
}

# Start a mock of our own on free ports; it is stopped by stop() or when the object goes away.
sub spawn ($class, %opt) {
    my $script = $opt{script} // File::Spec->catfile(dirname(__FILE__), '..', 'mock_slack', 'mock_slack.py');
    my $python = $opt{python} // $ENV{NXS_MOCK_PYTHON} // (-x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3');
    my @cmd = ($python, $script, '--api-port', $opt{api_port} // 0, '--control-port', $opt{control_port} // 0,
               '--host', $opt{host} // '127.0.0.1', ($opt{log} ? ('--log', $opt{log}) : ()));
    my $pid = open(my $out, '-|', @cmd) or croak "NxsMock: cannot start @cmd: $!";
    my $ready = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($opt{start_timeout} // 10);
        my $line = <$out>;
        alarm 0;
        $line;
    };
    unless (defined $ready && $ready =~ /^READY api=(\d+) control=(\d+)/) {
        kill 'TERM', $pid;
        close $out;
        croak 'NxsMock: mock did not report READY' . ($@ ? ": $@" : '');
    }
    my $self = $class->new(%opt, api_port => $1, control_port => $2);
    @$self{qw(pid pipe)} = ($pid, $out);
    return $self;
}

sub stop ($self) {
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    close delete $self->{pipe};    # waits for the process
    return $? >> 8;
}

sub DESTROY ($self) {
    local ($?, $@);
    $self->stop if $self->{pid};
}

sub host         ($self) { $self->{host} }
sub control_port ($self) { $self->{control_port} }

sub api_port ($self) {
    $self->{api_port} //= $self->health->{api_port};
    return $self->{api_port};
}

# The values the module's NexteSlackAPIBase / NexteSlackAuthorizeURL directives point at.
sub api_base      ($self) { 'http://' . $self->host . ':' . $self->api_port . '/api' }
sub authorize_url ($self) { 'http://' . $self->host . ':' . $self->api_port . '/oauth/v2/authorize' }

sub _request ($self, $method, $path, $body = undef, $query = undef) {
    my $url = "http://$self->{host}:$self->{control_port}$path";
    if ($query && %$query) {
        my %q = map { defined $query->{$_} ? ($_ => $query->{$_}) : () } keys %$query;
        $url .= '?' . $self->{http}->www_form_urlencode(\%q) if %q;
    }
    my %options;
    if (defined $body) {
        %options = (content => $JSON->encode($body),
                    headers => {'Content-Type' => 'application/json; charset=utf-8'});
    }
    my $res = $self->{http}->request($method, $url, \%options);
    my $data = eval { $JSON->decode($res->{content}) };
    unless ($res->{success} && ref $data eq 'HASH' && $data->{ok}) {
        my $why = ref $data eq 'HASH' ? ($data->{error} // 'unknown error') : $res->{content};
        croak "NxsMock: $method $path failed ($res->{status}): $why";
    }
    return $data;
}

# Arguments may be a hashref or a flat list: mode({mode => 'outage'}) or mode(mode => 'outage').
sub _body (@args) { @args == 1 && ref $args[0] eq 'HASH' ? $args[0] : {@args} }

sub health ($self)          { $self->_request(GET => '/_mock/health') }
sub reset ($self)           { $self->_request(POST => '/_mock/reset', {}); return $self }
sub seed ($self, @args)     { $self->_request(POST => '/_mock/seed', _body(@args))->{config} }
sub config ($self)          { $self->_request(GET => '/_mock/config')->{config} }
sub mode ($self, @args)     { $self->_request(POST => '/_mock/mode', _body(@args)) }
sub normal ($self)          { $self->mode(mode => 'normal') }
sub modes ($self)           { $self->_request(GET => '/_mock/mode')->{rules} }
sub decision ($self, @args) { $self->_request(POST => '/_mock/decision', _body(@args))->{decision} }
sub token ($self, @args)    { $self->_request(POST => '/_mock/token', _body(@args)) }
sub tokens ($self, %filter) { $self->_request(GET => '/_mock/tokens', undef, \%filter)->{tokens} }
sub channel ($self, @args)  { $self->_request(POST => '/_mock/channel', _body(@args))->{channel} }
sub stats ($self)           { $self->_request(GET => '/_mock/stats')->{stats} }

# A response_url bound to a posted message; returns the URL to put in an interaction payload.
sub response_url ($self, @args) { $self->_request(POST => '/_mock/response_url', _body(@args))->{url} }

# Filters: method, channel, since (calls with seq > since), token, status, path, limit.
sub calls ($self, %filter)    { $self->_request(GET => '/_mock/calls', undef, \%filter)->{calls} }
sub messages ($self, %filter) { $self->_request(GET => '/_mock/messages', undef, \%filter)->{messages} }
sub last_seq ($self)          { $self->stats->{last_seq} }

# The callback sink on the control port (what NexteSlackCallbackURL points at in the suite):
# every POST is kept with its headers and raw body. callbacks(since => SEQ, type => 'slack.…')
# lists them, oldest first: {seq, time_ms, headers, content_type, body (raw text), json, client}.
sub callback_url ($self)          { "http://$self->{host}:$self->{control_port}/_mock/callbacks" }
sub callbacks ($self, %filter)    { $self->_request(GET => '/_mock/callbacks', undef, \%filter)->{callbacks} }
sub callback_status ($self, $status) { $self->_request(POST => '/_mock/callbacks/status', {status => $status})->{status} }

# Poll until at least `count` callbacks match (filters: since, type), or `timeout` seconds pass.
sub wait_for_callbacks ($self, %opt) {
    my $count   = delete $opt{count}   // 1;
    my $timeout = delete $opt{timeout} // 10;
    return $self->_poll($timeout, sub {
        my $cbs = $self->callbacks(%opt);
        return (@$cbs >= $count, $cbs);
    });
}

# Poll (every 50 ms) until at least `count` answered calls match the filters, or `timeout` seconds
# pass. Returns the matching calls either way: compare their number with what you expected.
sub wait_for_calls ($self, %opt) {
    my $count   = delete $opt{count}   // 1;
    my $timeout = delete $opt{timeout} // 10;
    return $self->_poll($timeout, sub {
        my @calls = grep { ($_->{state} // '') ne 'pending' } @{ $self->calls(%opt) };
        return (@calls >= $count, \@calls);
    });
}

# Same for stored messages (filters: channel, team, since_ts).
sub wait_for_messages ($self, %opt) {
    my $count   = delete $opt{count}   // 1;
    my $timeout = delete $opt{timeout} // 10;
    return $self->_poll($timeout, sub {
        my $messages = $self->messages(%opt);
        return (@$messages >= $count, $messages);
    });
}

sub _poll ($self, $timeout, $probe) {
    my $deadline = time + $timeout;
    while (1) {
        my ($done, $result) = $probe->();
        return $result if $done || time >= $deadline;
        sleep 0.05;
    }
}

1;
