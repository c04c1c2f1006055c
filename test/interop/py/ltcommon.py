"""Shared helpers for the libtorrent interop scripts (python3-libtorrent 2.0.x).

Every script prints exactly one JSON object on stdout. On failure it prints
{"error": "..."} and exits 1, so the TypeScript side can report the reason.
"""
import json
import sys

import libtorrent as lt

ZERO_SHA1 = '0' * 40
ZERO_SHA256 = '0' * 64


def emit(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def fail(message):
    emit({'error': message})
    sys.exit(1)


def info_hashes(ti):
    """(v1 hex or None, v2 full 64-hex or None) for a torrent_info."""
    ih = ti.info_hashes()
    v1 = str(ih.v1) if ih.has_v1() else None
    v2 = str(ih.v2) if ih.has_v2() else None
    return v1, v2


def load_torrent(path):
    with open(path, 'rb') as f:
        data = f.read()
    return lt.torrent_info(data)


def quiet_session():
    """A session that never touches the network beyond loopback."""
    settings = {
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_incoming_utp': False,
        'enable_outgoing_utp': False,
        'alert_mask': int(lt.alert.category_t.status_notification | lt.alert.category_t.error_notification
                          | lt.alert.category_t.storage_notification),
    }
    return lt.session(settings)


# --- The NAT hole-punching test's libtorrent peers (lt_nat_seed / lt_nat_leech / lt_nat_relay) ---

NAT_ALERTS = int(lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
                 | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
                 # session_log: libtorrent says why it turned an incoming connection away
                 # ("<== INCOMING CONNECTION [ rejected, ... ]"), which no other alert does.
                 | lt.alert.category_t.session_log_notification)


def nat_session(listen, peer_log=False, default_plugins=True, **settings):
    """A session for the namespaces of the NAT test: listens on LISTEN (comma-separated
    HOST:PORT, uTP and TCP on one port each), dials and accepts uTP, no DHT, LSD, UPnP or
    NAT-PMP. peer_log adds the per-peer log (the BEP 55 messages libtorrent sends and gets);
    default_plugins=False leaves out ut_pex, ut_metadata and smart_ban. Keyword arguments
    are further settings."""
    pack = {
        'listen_interfaces': listen,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_incoming_utp': True, 'enable_outgoing_utp': True,
        'alert_mask': NAT_ALERTS | (int(lt.alert.category_t.peer_log_notification) if peer_log else 0),
    }
    pack.update(settings)
    return lt.session(pack) if default_plugins else lt.session(pack, 0)


def add_started(ses, torrent, save, trackers=()):
    """Adds TORRENT started at once, not auto-managed. An auto-managed torrent waits paused
    for the session's queue to start it, and until some torrent is started libtorrent turns
    every incoming connection away: a uTP SYN gets a FIN at once, a TCP connection is closed
    ("<== INCOMING CONNECTION [ rejected, no active torrents ]")."""
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    p.trackers = list(trackers)
    p.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    return ses.add_torrent(p)


def started(handle):
    """True once the torrent accepts peers: started and past checking."""
    st = handle.status()
    return not st.paused and st.state in (lt.torrent_status.downloading, lt.torrent_status.finished,
                                          lt.torrent_status.seeding)


def print_nat_alert(a, peer_log_words=()):
    """Prints (flushed) a peer connect / disconnect / incoming connection, a hole-punch alert, a
    rejected incoming connection, and a peer-log line containing one of PEER_LOG_WORDS."""
    if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.incoming_connection_alert, lt.listen_failed_alert)) \
            or 'holepunch' in type(a).__name__ \
            or (isinstance(a, lt.log_alert) and 'INCOMING CONNECTION' in a.message()) \
            or (isinstance(a, lt.peer_log_alert) and any(w in a.message() for w in peer_log_words)):
        print(f'{type(a).__name__} {a.message()}', flush=True)
        return True
    return False
