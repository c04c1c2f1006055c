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
