"""A libtorrent leecher as the BEP 55 relay of the NAT hole-punching test, in the "public"
namespace. It listens on each address in LISTEN (comma-separated HOST:PORT, uTP and TCP on
one port): libtorrent 2.0 binds each listen socket to its own address, so it listens on the
address facing each NAT and each NATed peer dials the one on its side. It announces to
TRACKER_URL and keeps libtorrent's default plugins (ut_pex: it tells each peer of the others,
with the uTP and ut_holepunch flags a BEP 55 initiator needs); no DHT, no LSD.

usage: lt_nat_relay.py TORRENT SAVE_DIR LISTEN TRACKER_URL

Prints "ready" once listening on every address with the torrent started (before that
libtorrent turns incoming connections away, a uTP SYN with a FIN), then a line per peer
connect/disconnect, per listen event, per rejected incoming connection and per HOLEPUNCH /
PEX peer-log line (libtorrent logs the `connect` messages it sends as
"==> HOLEPUNCH [ msg: connect ..."), until killed.
"""
import sys
import time

import libtorrent as lt

from ltcommon import add_started, nat_session, print_nat_alert, started


def main():
    torrent, save, listen, tracker = sys.argv[1:5]
    wanted = len(listen.split(','))
    # Stay connected to the seeder should we finish: a relay must be connected to the target.
    s = nat_session(listen, peer_log=True, close_redundant_connections=False)
    h = add_started(s, torrent, save, [tracker])
    listening = set()
    ready = False
    while True:
        s.wait_for_alert(500)
        for a in s.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                listening.add((a.address, a.port, a.socket_type))
                print(f'{type(a).__name__} {a.message()}', flush=True)
            elif print_nat_alert(a, ('HOLEPUNCH', 'PEX')) and isinstance(a, lt.peer_disconnected_alert):
                st = h.status()
                print(f'  torrent: {st.state} finished={st.is_finished} seeding={st.is_seeding} upload_mode={st.upload_mode} pieces={st.num_pieces}', flush=True)
        # One TCP and one uTP socket per address.
        if not ready and len(listening) >= 2 * wanted and started(h):
            ready = True
            print('ready', flush=True)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
