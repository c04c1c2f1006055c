"""A libtorrent seeder for the NAT hole-punching test: listens on HOST:PORT (uTP and TCP on
one port) and dials RELAY (HOST:PORT) only: no tracker, no DHT, no LSD, and no ut_pex (the
session is made without libtorrent's default plugins), so the only way it learns of the
leecher is a relay's BEP 55 `connect` (ut_holepunch is built into libtorrent's peer
connection, not a plugin; ut_metadata is added back).

usage: lt_nat_seed.py TORRENT SAVE_DIR HOST PORT RELAY

Prints "ready" once seeding, then a line per peer connect/disconnect, per peer-list change and
per hole-punch alert, until killed.
"""
import sys
import time

import libtorrent as lt


def main():
    torrent, save, host, port, relay = sys.argv[1:6]
    relay_host, relay_port = relay.rsplit(':', 1)
    s = lt.session({
        'listen_interfaces': f'{host}:{port}',
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_incoming_utp': True, 'enable_outgoing_utp': True,
        'alert_mask': int(lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification
                          | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification),
    }, 0)  # flags 0: no default plugins (ut_pex, ut_metadata, smart_ban)
    s.add_extension('ut_metadata')
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    h = s.add_torrent(p)
    while not h.status().is_seeding:
        s.wait_for_alert(200)
        s.pop_alerts()
    # Default flags: the relay is taken to speak uTP and ut_holepunch, so it is dialled over uTP
    # from the listen socket: the relay sees our NAT's mapping of the listen port.
    h.connect_peer((relay_host, int(relay_port)))
    print('ready', flush=True)
    while True:
        s.wait_for_alert(1000)
        for a in s.pop_alerts():
            if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.incoming_connection_alert)) \
                    or 'holepunch' in type(a).__name__:
                print(f'{type(a).__name__} {a.message()}', flush=True)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
