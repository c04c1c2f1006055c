"""A libtorrent leecher for the NAT hole-punching test: listens on HOST:PORT (uTP and TCP on
one port), learns peers from TRACKER_URL and from ut_pex (libtorrent's default plugins, which
its BEP 55 initiator needs: a peer that told us of an address by PEX is asked to relay to it),
no DHT, no LSD.

usage: lt_nat_leech.py TORRENT SAVE_DIR HOST PORT TRACKER_URL

Prints a line per peer connect/disconnect and hole-punch alert, then "complete" once it has
the whole torrent, and keeps running (seeding) until killed.
"""
import sys
import time

import libtorrent as lt


def main():
    torrent, save, host, port, tracker = sys.argv[1:6]
    s = lt.session({
        'listen_interfaces': f'{host}:{port}',
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_incoming_utp': True, 'enable_outgoing_utp': True,
        # A dial to the seeder behind NAT B fails over uTP, then TCP; only then does libtorrent
        # ask a relay (BEP 55). 5 s instead of 15 per attempt keeps the test short.
        'peer_connect_timeout': 5,
        'alert_mask': int(lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
                          | lt.alert.category_t.peer_log_notification),
    })
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    p.trackers = [tracker]
    h = s.add_torrent(p)
    done = False
    while True:
        s.wait_for_alert(500)
        for a in s.pop_alerts():
            if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.incoming_connection_alert)) \
                    or 'holepunch' in type(a).__name__ \
                    or (isinstance(a, lt.peer_log_alert) and any(w in a.message() for w in ('HOLEPUNCH', 'CONNECT_FAILED', '<== PEX'))):
                print(f'{type(a).__name__} {a.message()}', flush=True)
        if not done and h.status().is_seeding:
            done = True
            print(f'complete: {h.status().total_wanted} bytes', flush=True)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
