"""Download a torrent (file or magnet URI) with libtorrent from given peers.

usage: lt_leech.py SOURCE SAVE_DIR [--peer HOST:PORT]... [--host 127.0.0.x] [--port N]
                   [--timeout S] [--recheck] [--seed] [--metadata-only] [--redial S]
                   [--encryption plaintext|enabled|forced] [--status-interval S]
                   [--log-peers] [--name CLIENT]

SOURCE is a .torrent path or a magnet: URI (its x.pe= peers are used too; its
trackers are dropped). Each --peer is dialled at once and re-dialled every
--redial seconds (default 1; 0: once) while no connection to that host exists.
The session also listens (--host/--port), so a seeder may dial the leecher instead.

stdout, one JSON object a line:
  {"ready": true, "port", "host"}                       once listening, before the download;
  {"metadata": true, "seconds", "name", "infoHash", "infoHashV2", "numPieces"}
                                                        for a magnet, when the info dict arrived;
  {"status": true, ...}                                 every --status-interval (0: none; default 0);
  {"event": ...}                                        with --log-peers;
  {"ok", "seconds", "metadataSeconds", "bytes", "downloaded", "cpuSeconds",
   "cpuSecondsTransfer", "maxRssKb", "name", "infoHash", "infoHashV2", "numPieces",
   "verifiedPieces", "error"}                           the result, once finished / failed / timed out.
"seconds" runs from adding the torrent until it has every piece (hash-checked and
written; the recheck is not included: that is "recheckSeconds"). "bytes" is the content size without pad
files; "downloaded" is payload received. cpuSeconds and maxRssKb are this python
process's own getrusage (user + sys, from its start); cpuSecondsTransfer is the
CPU spent between adding the torrent and finishing.
Exit status 0 when ok. With --seed the process keeps seeding after an ok result,
printing status lines, until SIGTERM/SIGINT ({"stopped": true, ...}, exit 0).
With --metadata-only a magnet download stops once the metadata is received
(result "bytes" 0, ok true).
"""
import argparse
import os
import time

import libtorrent as lt

from lt_session import (
    PEER_ALERTS, Stopper, add_session_args, connect_peers, connected_hosts, cpu_seconds, emit, log_alert,
    make_session, max_rss_kb, parse_endpoint, status_obj, torrent_flags, wait_listening,
)
from ltcommon import info_hashes, load_torrent


def content_bytes(ti):
    fs = ti.files()
    return sum(fs.file_size(i) for i in range(fs.num_files()) if not fs.file_flags(i) & fs.flag_pad_file)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('source')
    ap.add_argument('save_dir')
    add_session_args(ap)
    ap.set_defaults(status_interval=0.0)
    ap.add_argument('--peer', action='append', default=[], help='HOST:PORT to dial (repeatable)')
    ap.add_argument('--redial', type=float, default=1.0)
    ap.add_argument('--timeout', type=float, default=120.0)
    ap.add_argument('--recheck', action='store_true', help='force a full recheck after finishing')
    ap.add_argument('--seed', action='store_true', help='keep seeding after finishing, until killed')
    ap.add_argument('--metadata-only', action='store_true')
    ap.add_argument('--pex', action='store_true', help='enable ut_pex for the torrent')
    args = ap.parse_args()

    stopper = Stopper()
    result = {'ok': False, 'seconds': None, 'cpuSecondsTransfer': None, 'metadataSeconds': None, 'recheckSeconds': None, 'bytes': None,
              'downloaded': 0, 'name': None, 'infoHash': None, 'infoHashV2': None, 'numPieces': None,
              'verifiedPieces': None, 'error': None}
    cpu0 = None

    def finish(ok, error=None, exit_code=None):
        result['ok'] = ok
        result['error'] = error
        result['cpuSeconds'] = cpu_seconds()
        if result.get('cpuSecondsTransfer') is None and cpu0 is not None:
            result['cpuSecondsTransfer'] = cpu_seconds() - cpu0
        result['maxRssKb'] = max_rss_kb()
        emit(result)
        if exit_code is not None:
            os._exit(exit_code)

    try:
        peers = [parse_endpoint(p) for p in args.peer]
        if args.source.startswith('magnet:'):
            atp = lt.parse_magnet_uri(args.source)
            atp.trackers = []
            magnet = True
        else:
            atp = lt.add_torrent_params()
            atp.ti = load_torrent(args.source)
            atp.trackers = []
            magnet = False
        ses = make_session(args)
        port = wait_listening(ses)
    except Exception as e:
        finish(False, f'{type(e).__name__}: {e}', 1)
    emit({'ready': True, 'port': port, 'host': args.host})

    os.makedirs(args.save_dir, exist_ok=True)
    atp.save_path = os.path.abspath(args.save_dir)
    flags = torrent_flags()
    if args.pex:
        flags &= ~lt.torrent_flags.disable_pex
    atp.flags = flags
    cpu0 = cpu_seconds()
    start = time.monotonic()
    h = ses.add_torrent(atp)
    h.replace_trackers([])
    connect_peers(h, peers, set())

    def on_metadata():
        ti = h.torrent_file()
        v1, v2 = info_hashes(ti)
        result.update(name=ti.name(), infoHash=v1, infoHashV2=v2, numPieces=ti.num_pieces(), bytes=content_bytes(ti))

    if not magnet:
        on_metadata()
    deadline = start + args.timeout
    last_dial = last_status = start
    finished = False
    while not finished:
        if stopper.stop:
            finish(False, 'interrupted', 1)
        now = time.monotonic()
        if now > deadline:
            st = h.status()
            result['downloaded'] = st.total_payload_download
            finish(False, f'timed out after {args.timeout}s (state {st.state}, progress {st.progress:.4f}, '
                          f'peers {st.num_peers})', 1)
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if args.log_peers and isinstance(a, PEER_ALERTS):
                log_alert(a)
            elif isinstance(a, lt.metadata_received_alert):
                result['metadataSeconds'] = time.monotonic() - start
                on_metadata()
                emit({'metadata': True, 'seconds': result['metadataSeconds'], 'name': result['name'],
                      'infoHash': result['infoHash'], 'infoHashV2': result['infoHashV2'],
                      'numPieces': result['numPieces']})
                if args.metadata_only:
                    result['seconds'] = result['metadataSeconds']
                    result['bytes'] = 0
                    finish(True, None, 0)
            elif isinstance(a, lt.torrent_finished_alert):
                finished = True
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                finish(False, a.message(), 1)
        if not finished and h.status().is_finished and h.status().has_metadata:
            finished = True
        now = time.monotonic()
        if peers and args.redial > 0 and now - last_dial >= args.redial:
            last_dial = now
            connect_peers(h, peers, connected_hosts(h))
        if args.status_interval > 0 and now - last_status >= args.status_interval:
            last_status = now
            emit(status_obj(h))
    # torrent_finished_alert can come before the last piece is written and counted as had
    # (num_pieces lags by one under load): wait until every piece is had.
    total = h.torrent_file().num_pieces()
    settle_deadline = time.monotonic() + 30
    while h.status().num_pieces < total and time.monotonic() < settle_deadline:
        ses.wait_for_alert(20)
        for a in ses.pop_alerts():
            if args.log_peers and isinstance(a, PEER_ALERTS):
                log_alert(a)
    result['seconds'] = time.monotonic() - start
    result['cpuSecondsTransfer'] = cpu_seconds() - cpu0
    st = h.status()
    result['downloaded'] = st.total_payload_download
    result['verifiedPieces'] = st.num_pieces

    if args.recheck:
        t0 = time.monotonic()
        h.force_recheck()
        checked = False
        while not checked:
            if time.monotonic() > deadline + 60:
                finish(False, 'recheck timed out', 1)
            ses.wait_for_alert(100)
            for a in ses.pop_alerts():
                if isinstance(a, lt.torrent_checked_alert):
                    checked = True
        result['recheckSeconds'] = time.monotonic() - t0
        st = h.status()
        result['verifiedPieces'] = st.num_pieces

    ok = result['verifiedPieces'] == result['numPieces']
    error = None if ok else f'{result["verifiedPieces"]}/{result["numPieces"]} pieces verified'
    finish(ok, error)
    if not ok or not args.seed:
        os._exit(0 if ok else 1)

    last_status = time.monotonic()
    while not stopper.stop:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if args.log_peers and isinstance(a, PEER_ALERTS):
                log_alert(a)
        now = time.monotonic()
        if args.status_interval > 0 and now - last_status >= args.status_interval:
            last_status = now
            emit(status_obj(h))
    emit(status_obj(h, 'stopped'))
    os._exit(0)


if __name__ == '__main__':
    main()
