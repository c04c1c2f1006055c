"""A libtorrent seeder for the NAT hole-punching test: listens on HOST:PORT (uTP and TCP on
one port) and dials RELAY (HOST:PORT) only: no tracker, no DHT, no LSD, and no ut_pex (the
session is made without libtorrent's default plugins), so the only way it learns of the
leecher is a relay's BEP 55 `connect` (ut_holepunch is built into libtorrent's peer
connection, not a plugin; ut_metadata is added back).

usage: lt_nat_seed.py TORRENT SAVE_DIR HOST PORT RELAY

Prints "ready" once seeding, then a line per peer connect/disconnect, per rejected incoming
connection and per hole-punch alert, until killed.
"""
import sys
import time

from ltcommon import add_started, nat_session, print_nat_alert


def main():
    torrent, save, host, port, relay = sys.argv[1:6]
    relay_host, relay_port = relay.rsplit(':', 1)
    s = nat_session(f'{host}:{port}', default_plugins=False)  # no ut_pex, ut_metadata, smart_ban
    s.add_extension('ut_metadata')
    h = add_started(s, torrent, save)
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
            print_nat_alert(a)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
