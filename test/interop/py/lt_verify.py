"""Ask libtorrent to hash-check data on disk against a .torrent.

usage: lt_verify.py TORRENT SAVE_PATH [--timeout SECONDS]

SAVE_PATH is the directory that contains the torrent's name (the parent of the
file or directory the torrent was created from). The torrent is added with
seed_mode off, so libtorrent checks every piece against the files on disk.
The session listens on 127.0.0.1 only, with DHT, LSD, UPnP and NAT-PMP off;
the torrent has its trackers stripped, so nothing is announced.

Output: {"numPieces", "verifiedPieces", "progress", "state", "error",
         "seconds"}  (verifiedPieces is torrent_status.num_pieces)
"""
import argparse
import time

import libtorrent as lt

from ltcommon import emit, fail, load_torrent, quiet_session

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('torrent')
    ap.add_argument('save_path')
    ap.add_argument('--timeout', type=float, default=60.0)
    args = ap.parse_args()

    try:
        ti = load_torrent(args.torrent)
    except Exception as e:  # libtorrent rejects the torrent: report why
        fail(f'{type(e).__name__}: {e}')

    ses = quiet_session()
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = args.save_path
    atp.trackers = []
    # Not paused, not auto-managed, not seed mode: check files right away.
    # upload_mode keeps libtorrent from writing (e.g. creating missing files).
    atp.flags = (lt.torrent_flags.upload_mode | lt.torrent_flags.disable_dht
                 | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex)
    start = time.monotonic()
    h = ses.add_torrent(atp)
    h.replace_trackers([])

    # Wait for torrent_checked_alert (or an error alert), polling as a fallback.
    deadline = start + args.timeout
    err = None
    checked = False
    while not checked and err is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            err = f'timed out after {args.timeout}s in state {h.status().state}'
            break
        ses.wait_for_alert(int(min(remaining, 0.5) * 1000) + 1)
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_checked_alert):
                checked = True
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.fastresume_rejected_alert)):
                err = a.message()
        st = h.status()
        if st.errc.value():
            err = st.errc.message()
    st = h.status()
    emit({
        'numPieces': ti.num_pieces(),
        'verifiedPieces': st.num_pieces,
        'progress': st.progress,
        'state': str(st.state),
        'error': err,
        'seconds': time.monotonic() - start,
    })


if __name__ == '__main__':
    main()
