"""A libtorrent leecher for the NAT hole-punching test: listens on HOST:PORT (uTP and TCP on
one port), learns peers from TRACKER_URL and from ut_pex (libtorrent's default plugins, which
its BEP 55 initiator needs: a peer that told us of an address by PEX is asked to relay to it),
no DHT, no LSD.

usage: lt_nat_leech.py TORRENT SAVE_DIR HOST PORT TRACKER_URL

Prints a line per peer connect/disconnect, rejected incoming connection and hole-punch alert
(and its peer log's HOLEPUNCH, CONNECT_FAILED and PEX lines), then "complete" once it has the
whole torrent, and keeps running (seeding) until killed.
"""
import sys
import time

from ltcommon import add_started, nat_session, print_nat_alert


def main():
    torrent, save, host, port, tracker = sys.argv[1:6]
    # A dial to the seeder behind NAT B fails over uTP, then TCP; only then does libtorrent
    # ask a relay (BEP 55). 5 s instead of 15 per attempt keeps the test short.
    s = nat_session(f'{host}:{port}', peer_log=True, peer_connect_timeout=5)
    h = add_started(s, torrent, save, [tracker])
    done = False
    while True:
        s.wait_for_alert(500)
        for a in s.pop_alerts():
            print_nat_alert(a, ('HOLEPUNCH', 'CONNECT_FAILED', '<== PEX'))
        if not done and h.status().is_seeding:
            done = True
            print(f'complete: {h.status().total_wanted} bytes', flush=True)
        time.sleep(0.05)


if __name__ == '__main__':
    main()
