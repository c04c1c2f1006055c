"""Create a .torrent with libtorrent and print its info hashes.

usage: lt_create.py PATH OUT --piece-length N --mode v1|v2|hybrid
                    [--private] [--tracker URL]... [--comment TEXT]

Each --tracker gets its own tier, in order.

PATH is a file or a directory. For v2 and hybrid, libtorrent's own add_files
is used (create_torrent canonicalises the file list itself: sorted, padded).
For v1, libtorrent keeps the order files were added in, and add_files adds them
in readdir order (filesystem dependent), so this script adds them explicitly in
the canonical order libtorrent uses for v2/hybrid (path components compared as
bytes), without pad files: the order Shoal is expected to use.

Output: {"infoHash", "infoHashV2", "numPieces", "pieceLength", "hashSeconds",
         "files": [{"path", "length", "pad"}]}
"""
import argparse
import os
import time

import libtorrent as lt

from ltcommon import emit, fail, info_hashes

MODES = {
    'v1': lt.create_torrent.v1_only,
    'v2': lt.create_torrent.v2_only,
    'hybrid': 0,  # libtorrent 2.0 default: v1 + v2
}


def sorted_files(root):
    """Regular files under root, as (relative path components, size), in
    libtorrent's canonical order (component-wise byte comparison)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            out.append((rel.split(os.sep), os.path.getsize(full)))
    out.sort(key=lambda item: [os.fsencode(c) for c in item[0]])
    return out


def build_storage(path, mode):
    fs = lt.file_storage()
    if mode != 'v1' or os.path.isfile(path):
        lt.add_files(fs, path)
        return fs
    name = os.path.basename(os.path.normpath(path))
    for parts, size in sorted_files(path):
        fs.add_file('/'.join([name] + parts), size)
    return fs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('path')
    ap.add_argument('out')
    ap.add_argument('--piece-length', type=int, required=True)
    ap.add_argument('--mode', choices=sorted(MODES), default='hybrid')
    ap.add_argument('--private', action='store_true')
    ap.add_argument('--tracker', action='append', default=[])
    ap.add_argument('--comment')
    args = ap.parse_args()

    path = os.path.abspath(args.path)
    try:
        start = time.perf_counter()
        fs = build_storage(path, args.mode)
        ct = lt.create_torrent(fs, args.piece_length, flags=MODES[args.mode])
        lt.set_piece_hashes(ct, os.path.dirname(path))
        for tier, url in enumerate(args.tracker):
            ct.add_tracker(url, tier)
        if args.private:
            ct.set_priv(True)
        if args.comment is not None:
            ct.set_comment(args.comment)
        data = lt.bencode(ct.generate())
        with open(args.out, 'wb') as f:
            f.write(data)
        elapsed = time.perf_counter() - start
        ti = lt.torrent_info(data)
    except Exception as e:  # report any libtorrent error as JSON
        fail(f'{type(e).__name__}: {e}')
    v1, v2 = info_hashes(ti)
    files = ti.files()
    emit({
        'infoHash': v1,
        'infoHashV2': v2,
        'numPieces': ti.num_pieces(),
        'pieceLength': ti.piece_length(),
        'hashSeconds': elapsed,
        'files': [
            {
                'path': files.file_path(i).replace(os.sep, '/'),
                'length': files.file_size(i),
                'pad': bool(files.file_flags(i) & lt.file_storage.flag_pad_file),
            }
            for i in range(files.num_files())
        ],
    })


if __name__ == '__main__':
    main()
