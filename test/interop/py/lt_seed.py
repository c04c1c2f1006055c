"""Seed a torrent with libtorrent until killed.

usage: lt_seed.py TORRENT DATA_DIR [--host 127.0.0.x] [--port N] [--seed-mode] [--super-seed]
                  [--connect HOST:PORT]... [--redial SECONDS] [--pex]
                  [--encryption plaintext|enabled|forced] [--status-interval S]
                  [--log-peers] [--name CLIENT]

DATA_DIR is the save path: the torrent's content must be at DATA_DIR/<name>.
Without --seed-mode libtorrent checks every piece first; with it, the data is
trusted (and pieces are checked lazily as they are first served).

stdout, one JSON object a line:
  {"ready": true, "port", "host", "infoHash", "infoHashV2", "numPieces", "checkSeconds"}
      once the data is checked, the torrent is seeding and the session listens
      (on error instead: {"ok": false, "error"} and exit 1);
  {"status": true, "state", "peers", "uploaded", "upRate", ...} every --status-interval;
  {"event": "peer_connect" | "peer_disconnected" | ..., "peer", "message"} with --log-peers;
  {"stopped": true, ...final status...} on SIGTERM/SIGINT, then exit 0.

Each --connect peer is dialled once seeding, and re-dialled every --redial
seconds (default 1; 0: dial once) while no connection to that host exists, so
the peer may start after the seeder.
"""
import argparse
import os
import sys
import time

import libtorrent as lt

from lt_session import (
    PEER_ALERTS, Stopper, add_session_args, connect_peers, connected_hosts, emit, fail, log_alert,
    make_session, parse_endpoint, status_obj, torrent_flags, wait_listening,
)
from ltcommon import info_hashes, load_torrent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('torrent')
    ap.add_argument('data_dir')
    add_session_args(ap)
    ap.add_argument('--seed-mode', action='store_true', help='trust the data instead of checking it first')
    ap.add_argument('--connect', action='append', default=[], help='HOST:PORT to dial (repeatable)')
    ap.add_argument('--redial', type=float, default=1.0)
    ap.add_argument('--pex', action='store_true', help='enable ut_pex for the torrent')
    ap.add_argument('--super-seed', action='store_true', help='BEP 16 super seeding (libtorrent\'s default, non-strict: a peer gets its next piece when it reports the last)')
    ap.add_argument('--check-timeout', type=float, default=120.0)
    args = ap.parse_args()

    stopper = Stopper()
    try:
        peers = [parse_endpoint(p) for p in args.connect]
        ti = load_torrent(args.torrent)
        ses = make_session(args)
        port = wait_listening(ses)
    except Exception as e:
        fail(f'{type(e).__name__}: {e}')

    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = os.path.abspath(args.data_dir)
    atp.trackers = []
    flags = torrent_flags()
    if args.pex:
        flags &= ~lt.torrent_flags.disable_pex
    if args.seed_mode:
        flags |= lt.torrent_flags.seed_mode
    if args.super_seed:
        flags |= lt.torrent_flags.super_seeding
    atp.flags = flags
    start = time.monotonic()
    h = ses.add_torrent(atp)
    h.replace_trackers([])

    # Wait until the torrent is seeding (checked), or fails.
    deadline = start + args.check_timeout
    checked_at = None
    while True:
        st = h.status()
        if st.is_seeding:
            break
        if st.errc.value():
            fail(f'torrent error: {st.errc.message()}')
        if stopper.stop:
            sys.exit(0)
        now = time.monotonic()
        if checked_at is not None and now - checked_at > 2:
            # Checked but incomplete: DATA_DIR does not hold the torrent's content.
            fail(f'data incomplete after check: {st.num_pieces}/{ti.num_pieces()} pieces '
                 f'(state {st.state}) in {atp.save_path}')
        if now > deadline:
            fail(f'not seeding after {args.check_timeout}s (state {st.state}, progress {st.progress:.4f})')
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                fail(a.message())
            if isinstance(a, lt.torrent_checked_alert) and checked_at is None:
                checked_at = time.monotonic()
    v1, v2 = info_hashes(ti)
    emit({'ready': True, 'port': port, 'host': args.host, 'infoHash': v1, 'infoHashV2': v2,
          'numPieces': ti.num_pieces(), 'checkSeconds': time.monotonic() - start})

    connect_peers(h, peers, set())
    last_dial = last_status = time.monotonic()
    while not stopper.stop:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if args.log_peers and isinstance(a, PEER_ALERTS):
                log_alert(a)
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit({'event': 'error', 'message': a.message()})
        now = time.monotonic()
        if peers and args.redial > 0 and now - last_dial >= args.redial:
            last_dial = now
            connect_peers(h, peers, connected_hosts(h))
        if args.status_interval > 0 and now - last_status >= args.status_interval:
            last_status = now
            emit(status_obj(h))
    emit(status_obj(h, 'stopped'))
    # Skip the session's orderly shutdown: nothing to save, and it can take a while.
    os._exit(0)


if __name__ == '__main__':
    main()
