#!/usr/bin/env python3
"""A small network of libtorrent DHT nodes on loopback, driven by JSON lines on stdin.

Usage: dht_lt.py COUNT BASE_PORT
Each node i listens on 127.0.0.(20+i):(BASE_PORT+i) with DHT on and libtorrent's IP
restrictions off (everything is on one machine). Bootstrap "routers" never enter
libtorrent's routing table, so nodes are added with add_dht_node. One JSON object answers
each command line:
  {"cmd": "nodes"}                                    -> {"nodes": [[host, port], ...]}
  {"cmd": "add_node", "host": h, "port": p}           -> every node adds h:p
  {"cmd": "mesh"}                                     -> every node adds every other node
  {"cmd": "table", "i": i}                            -> {"nodes": routing table size of node i}
  {"cmd": "add_torrent", "i": i, "infohash": hex}   -> node i adds a torrent and announces it
  {"cmd": "seed", "i": i, "torrent": path, "save_path": dir, "timeout": s}
                                                      -> node i seeds the torrent (data checked)
                                                         and announces it: {"seeding": true}
  {"cmd": "get_peers", "i": i, "infohash": hex, "timeout": s} -> {"peers": ["h:p", ...]}
  {"cmd": "put_mutable", "i": i, "seed": hex, "public": hex, "data": text, "salt": text, "timeout": s}
                                                      -> {"success": n, "seq": seq}
  {"cmd": "get_mutable", "i": i, "public": hex, "salt": text, "timeout": s} -> {"value": text, "seq": seq}
  {"cmd": "quit"}
"""
import hashlib
import json
import sys
import tempfile
import time

import libtorrent as lt


def expanded_secret(seed):
    """libtorrent signs with the 64-byte expanded ed25519 key: SHA-512 of the seed, clamped."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 63
    h[31] |= 64
    return bytes(h)


def make_session(host, port):
    mask = (lt.alert.category_t.dht_notification | lt.alert.category_t.dht_operation_notification
            | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification)
    return lt.session({
        'listen_interfaces': '%s:%d' % (host, port),
        'enable_dht': True, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'dht_bootstrap_nodes': '', 'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
        'dht_ignore_dark_internet': False, 'dht_enforce_node_id': False, 'dht_prefer_verified_node_ids': False,
        'alert_mask': mask,
    })


def wait_alerts(ses, timeout, pick):
    """Pops alerts until `pick` returns something other than None, or the timeout passes."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            got = pick(a)
            if got is not None:
                return got
    return None


def main():
    count, base = int(sys.argv[1]), int(sys.argv[2])
    nodes = [('127.0.0.%d' % (20 + i), base + i) for i in range(count)]
    sessions = [make_session(h, p) for h, p in nodes]
    time.sleep(0.5)
    out = lambda obj: (sys.stdout.write(json.dumps(obj) + '\n'), sys.stdout.flush())
    out({'ready': True, 'nodes': nodes})
    for line in sys.stdin:
        try:
            c = json.loads(line)
            cmd = c['cmd']
            if cmd == 'quit':
                out({'ok': True})
                break
            if cmd == 'nodes':
                out({'nodes': nodes})
            elif cmd == 'add_node':
                for s in sessions:
                    s.add_dht_node((c['host'], c['port']))
                out({'ok': True})
            elif cmd == 'mesh':
                for i, s in enumerate(sessions):
                    for j, n in enumerate(nodes):
                        if i != j:
                            s.add_dht_node(n)
                out({'ok': True})
            elif cmd == 'table':
                s = sessions[c['i']]
                s.post_dht_stats()
                n = wait_alerts(s, 5, lambda a: sum(b['num_nodes'] for b in a.routing_table) if isinstance(a, lt.dht_stats_alert) else None)
                out({'nodes': n or 0})
            elif cmd == 'add_torrent':
                # A torrent makes libtorrent announce itself (its listen port) in the DHT.
                atp = lt.add_torrent_params()
                atp.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(c['infohash'])))
                atp.save_path = tempfile.mkdtemp(prefix='shoal-lt-dht-')
                sessions[c['i']].add_torrent(atp)
                out({'ok': True})
            elif cmd == 'seed':
                # Seeds a real torrent: once the data checks out, announce it in the DHT now
                # (the first automatic announce may have run before the data was checked).
                s = sessions[c['i']]
                atp = lt.add_torrent_params()
                with open(c['torrent'], 'rb') as f:
                    atp.ti = lt.torrent_info(f.read())
                atp.save_path = c['save_path']
                h = s.add_torrent(atp)
                deadline = time.time() + c.get('timeout', 30)
                while time.time() < deadline and not h.status().is_seeding:
                    s.wait_for_alert(200)
                    s.pop_alerts()
                seeding = h.status().is_seeding
                if seeding:
                    h.force_dht_announce()
                out({'seeding': seeding})
            elif cmd == 'get_peers':
                s = sessions[c['i']]
                ih = bytes.fromhex(c['infohash'])
                s.dht_get_peers(lt.sha1_hash(ih))

                def pick(a):
                    if isinstance(a, lt.dht_get_peers_reply_alert) and a.info_hash.to_bytes() == ih:
                        return ['%s:%d' % (ip, port) for ip, port in a.peers()]
                    return None
                out({'peers': wait_alerts(s, c.get('timeout', 20), pick) or []})
            elif cmd == 'put_mutable':
                s = sessions[c['i']]
                seed = bytes.fromhex(c['seed'])
                s.dht_put_mutable_item(expanded_secret(seed), bytes.fromhex(c['public']), c['data'].encode(), c.get('salt', '').encode())
                got = wait_alerts(s, c.get('timeout', 20), lambda a: {'success': a.num_success, 'seq': a.seq} if isinstance(a, lt.dht_put_alert) else None)
                out(got or {'success': 0, 'seq': None})
            elif cmd == 'get_mutable':
                s = sessions[c['i']]
                s.dht_get_mutable_item(bytes.fromhex(c['public']), c.get('salt', '').encode())
                best = {}

                def pick(a):
                    if isinstance(a, lt.dht_mutable_item_alert):
                        item = a.item
                        # This binding hands back a dict ({'value': ..., 'seq': ...}); older ones the entry itself.
                        if isinstance(item, dict):
                            item = item.get('value', item.get(b'value'))
                        value = item.decode('utf-8', 'replace') if isinstance(item, bytes) else str(item)
                        if 'seq' not in best or a.seq >= best['seq']:
                            best.update({'value': value, 'seq': a.seq})
                        if a.authoritative:
                            return best
                    return None
                out(wait_alerts(s, c.get('timeout', 20), pick) or best or {'value': None, 'seq': None})
            else:
                out({'error': 'unknown command %s' % cmd})
        except Exception as e:  # report and keep serving
            out({'error': '%s: %s' % (type(e).__name__, e)})


if __name__ == '__main__':
    main()
