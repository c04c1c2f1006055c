"""Print libtorrent's parse of a .torrent file.

usage: lt_parse.py TORRENT

Output: {"name", "pieceLength", "numPieces", "totalSize", "infoHash",
         "infoHashV2", "private", "comment", "trackers": [url], "magnet",
         "files": [{"path", "length"}], "padFiles": [{"path", "length"}]}
File paths are '/'-joined and include the torrent name as the first element
for multi-file torrents (libtorrent's file_path), exactly as libtorrent
reports them. Pad files are listed separately.
"""
import os
import sys

import libtorrent as lt

from ltcommon import emit, fail, info_hashes, load_torrent


def main():
    if len(sys.argv) != 2:
        fail('usage: lt_parse.py TORRENT')
    try:
        ti = load_torrent(sys.argv[1])
    except Exception as e:  # libtorrent rejects the torrent: report why
        fail(f'{type(e).__name__}: {e}')
    v1, v2 = info_hashes(ti)
    fs = ti.files()
    files, pads = [], []
    for i in range(fs.num_files()):
        entry = {'path': fs.file_path(i).replace(os.sep, '/'), 'length': fs.file_size(i)}
        (pads if fs.file_flags(i) & lt.file_storage.flag_pad_file else files).append(entry)
    emit({
        'name': ti.name(),
        'pieceLength': ti.piece_length(),
        'numPieces': ti.num_pieces(),
        'totalSize': ti.total_size(),
        'infoHash': v1,
        'infoHashV2': v2,
        'private': bool(ti.priv()),
        'comment': ti.comment(),
        'trackers': [t.url for t in ti.trackers()],
        'magnet': lt.make_magnet_uri(ti),
        'files': files,
        'padFiles': pads,
    })


if __name__ == '__main__':
    main()
