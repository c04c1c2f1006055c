"""A libtorrent seeder for the NAT hole-punching test: listens on HOST:PORT (uTP and TCP on
one port), announces to TRACKER_URL, speaks ut_pex and ut_holepunch (libtorrent's defaults).

usage: lt_nat_seed.py TORRENT SAVE_DIR HOST PORT TRACKER_URL

Prints "ready" once seeding, then a line per peer connect/disconnect and hole-punch alert,
until killed.
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
        'alert_mask': int(lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification),
    })
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    p.trackers = [tracker]
    h = s.add_torrent(p)
    while not h.status().is_seeding:
        s.wait_for_alert(200)
        s.pop_alerts()
    print('ready', flush=True)
    while True:
        s.wait_for_alert(1000)
        for a in s.pop_alerts():
            if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.tracker_reply_alert)) \
                    or 'holepunch' in type(a).__name__:
                print(f'{type(a).__name__} {a.message()}', flush=True)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
