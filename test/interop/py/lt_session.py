"""Session setup and status reporting shared by lt_seed.py and lt_leech.py
(python3-libtorrent 2.0.x).

These scripts are long-running peers, unlike the one-shot lt_create/lt_parse/
lt_verify: they print JSON lines on stdout as things happen (a "ready" line,
status lines, a result line) and exit cleanly on SIGTERM/SIGINT.

The session is tuned for measuring the *other* side on loopback or a veth pair:
TCP only (uTP off), no DHT/LSD/UPnP/NAT-PMP, no rate limits, several
connections per IP allowed, and large send buffers.
"""
import json
import resource
import signal
import sys
import time

import libtorrent as lt

# settings_pack enc_policy: 0 pe_forced, 1 pe_enabled, 2 pe_disabled.
# allowed_enc_level: 1 pe_plaintext, 2 pe_rc4, 3 pe_both.
ENCRYPTION = {
    # Never start an encrypted handshake; still accept an incoming one.
    # The default here, so an unencrypted peer is dialled with a plain BitTorrent handshake.
    'plaintext': {'out_enc_policy': 2, 'in_enc_policy': 1, 'allowed_enc_level': 3, 'prefer_rc4': False},
    # libtorrent's own defaults: an *outgoing* connection first tries an MSE (encrypted)
    # handshake and only retries in plaintext after that connection fails.
    'enabled': {'out_enc_policy': 1, 'in_enc_policy': 1, 'allowed_enc_level': 3, 'prefer_rc4': False},
    # Only MSE/PE connections, both ways, RC4 required.
    'forced': {'out_enc_policy': 0, 'in_enc_policy': 0, 'allowed_enc_level': 2, 'prefer_rc4': True},
}

MiB = 1024 * 1024


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def fail(message, **extra):
    emit({'ok': False, 'error': message, **extra})
    sys.exit(1)


def parse_endpoint(text):
    """'HOST:PORT' or '[v6]:PORT' -> (host, port)."""
    host, sep, port = text.rpartition(':')
    if not sep or not port.isdigit():
        raise ValueError(f'expected HOST:PORT, got {text!r}')
    return host.strip('[]'), int(port)


def add_session_args(ap):
    ap.add_argument('--host', default='127.0.0.1', help='address to listen on (default 127.0.0.1)')
    ap.add_argument('--port', type=int, default=0, help='port to listen on (0: any; the real port is reported)')
    ap.add_argument('--encryption', choices=sorted(ENCRYPTION), default='plaintext')
    ap.add_argument('--status-interval', type=float, default=1.0, help='seconds between status lines (0: none)')
    ap.add_argument('--log-peers', action='store_true',
                    help='print {"event": ...} lines for peer connects, disconnects and errors')
    ap.add_argument('--name', default=None, help='client name in the extension handshake')
    ap.add_argument('--setting', action='append', default=[], metavar='KEY=VALUE',
                    help='override a settings_pack entry (int, true/false, or string); repeatable')
    ap.add_argument('--limit-local', action='store_true',
                    help='apply the rate limits to loopback/LAN peers too (libtorrent exempts them by default)')


def make_session(args):
    settings = {
        'listen_interfaces': f'{args.host}:{args.port}',
        'listen_system_port_fallback': False,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_incoming_utp': False,
        'enable_outgoing_utp': False,
        'enable_incoming_tcp': True,
        'enable_outgoing_tcp': True,
        'allow_multiple_connections_per_ip': True,
        'upload_rate_limit': 0,
        'download_rate_limit': 0,
        'rate_limit_ip_overhead': False,
        # Large send buffers: libtorrent reads ahead from disk while the socket drains.
        'send_buffer_watermark': 64 * MiB,
        'send_buffer_low_watermark': 8 * MiB,
        'send_buffer_watermark_factor': 200,
        'max_queued_disk_bytes': 64 * MiB,
        'max_out_request_queue': 1500,
        'max_allowed_in_request_queue': 4000,
        'unchoke_slots_limit': -1,
        'connections_limit': 500,
        'peer_connect_timeout': 5,
        # By default a peer whose connection failed (e.g. refused: not listening yet) is not
        # retried for 60 s, and dropped after 3 failures; a test peer may start a bit later.
        'min_reconnect_time': 1,
        'max_failcount': 100,
        'alert_mask': int(lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                          | lt.alert.category_t.storage_notification | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.peer_notification),
    }
    if args.host not in ('0.0.0.0', '::', ''):
        # Outgoing connections come from the listen address too (by default libtorrent
        # leaves them unbound, so they would come from 127.0.0.1 on loopback).
        settings['outgoing_interfaces'] = args.host
    if args.name:
        settings['user_agent'] = args.name
        settings['handshake_client_version'] = args.name
    settings.update(ENCRYPTION[args.encryption])
    for kv in args.setting:
        key, sep, value = kv.partition('=')
        if not sep:
            raise ValueError(f'--setting expects KEY=VALUE, got {kv!r}')
        if value in ('true', 'false'):
            settings[key] = value == 'true'
        elif value.lstrip('-').isdigit():
            settings[key] = int(value)
        else:
            settings[key] = value
    ses = lt.session(settings)
    if args.limit_local:
        # Local peers are in the unlimited "local" peer class; put every IPv4 address in the global one.
        f = lt.ip_filter()
        f.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
    return ses


def wait_listening(ses, timeout=10.0):
    """Waits for listen_succeeded_alert (TCP); returns the port. Raises on listen_failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_failed_alert):
                raise RuntimeError(a.message())
            if isinstance(a, lt.listen_succeeded_alert) and a.socket_type == lt.socket_type_t.tcp:
                return ses.listen_port()
    port = ses.listen_port()
    if port:
        return port
    raise RuntimeError(f'not listening after {timeout}s')


def torrent_flags():
    return (lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex)


class Stopper:
    """Turns SIGTERM/SIGINT into a flag the main loop polls."""

    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self._on)
        signal.signal(signal.SIGINT, self._on)

    def _on(self, signum, frame):
        self.stop = True


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def status_obj(h, kind='status'):
    st = h.status()
    return {
        kind: True,
        'state': str(st.state),
        'progress': st.progress,
        'peers': st.num_peers,
        'seeds': st.num_seeds,
        'uploaded': st.total_payload_upload,
        'downloaded': st.total_payload_download,
        'upRate': st.upload_payload_rate,
        'downRate': st.download_payload_rate,
        'cpuSeconds': cpu_seconds(),
        'maxRssKb': max_rss_kb(),
        # Who it is connected to, and whether it learnt of them over ut_pex (BEP 11).
        'peerList': [{'ip': f'{p.ip[0]}:{p.ip[1]}', 'pex': bool(p.source & lt.peer_info.pex), 'seed': bool(p.flags & lt.peer_info.seed)}
                     for p in h.get_peer_info()],
    }


PEER_ALERTS = tuple(
    getattr(lt, n) for n in (
        'peer_connect_alert', 'peer_disconnected_alert', 'peer_error_alert', 'peer_ban_alert',
        'incoming_connection_alert', 'hash_failed_alert', 'peer_snubbed_alert', 'invalid_request_alert',
    ) if hasattr(lt, n))


def log_alert(a):
    """One {"event": ...} line for a peer-related alert."""
    obj = {'event': type(a).__name__.removesuffix('_alert'), 'message': a.message()}
    ep = getattr(a, 'endpoint', None) or getattr(a, 'ip', None)
    if ep is not None:
        try:
            obj['peer'] = f'{ep[0]}:{ep[1]}'
        except (TypeError, IndexError):
            obj['peer'] = str(ep)
    err = getattr(a, 'error', None)
    if err is not None and hasattr(err, 'message'):
        obj['error'] = err.message()
    emit(obj)


def connect_peers(h, peers, connected_hosts):
    """(Re)dials every peer in `peers` whose host has no connection now. (Matching on
    the host only: a peer that dialled us shows its ephemeral port, not its listen port.)"""
    for host, port in peers:
        if host not in connected_hosts:
            try:
                h.connect_peer((host, port))
            except Exception as e:  # bad address: report and go on
                emit({'event': 'connect_error', 'peer': f'{host}:{port}', 'error': str(e)})


def connected_hosts(h):
    return {p.ip[0] for p in h.get_peer_info()}
