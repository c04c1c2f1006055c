/**
 * BEP 55 hole punching through real kernel NAT, in network namespaces this test builds
 * (private addresses only, nothing linked to the host's outside):
 *
 *   hp-lana 192.168.81.2 == 192.168.81.1 hp-rtra 10.88.1.1 == 10.88.1.2 hp-pub 10.88.2.2 == 10.88.2.1 hp-rtrb 192.168.82.1 == 192.168.82.2 hp-lanb
 *   (Shoal leecher A)          (nftables masquerade,     (tracker, relay peer,      (the same)                 (seeder B)
 *                               drops unsolicited in)      3 DHT nodes 10.88.1.3-5;
 *                                                          routes between the two)
 *
 * Each router forwards LAN -> WAN and, back, only what conntrack says is established or
 * related, and drops (silently, creating no conntrack entry) whatever unsolicited reaches its
 * own WAN address: a SYN from outside goes nowhere, as at a home router.
 *
 * The seeder B is never told of A: it runs with no tracker, no DHT and no PEX (`--no-pex`;
 * libtorrent without its ut_pex plugin) and dials only the relay (`--peer`). A learns the
 * relay from the tracker and B from the relay's PEX (flags uTP + ut_holepunch); its direct
 * dial to B is dropped at B's router, so it asks the relay for a rendezvous, the relay sends
 * `connect` to both, and both send uTP SYNs at once. The relay is a Shoal leecher that starts
 * with nothing, and the public namespace rate-limits it, so it cannot carry the download when
 * ports are kept. A also runs a DHT node bootstrapped from three Shoal DHT nodes on three
 * public addresses: their BEP 42 `ip` fields carry the port each saw, from which A's vote
 * judges its NAT type (cone when all saw one port, symmetric when they saw several).
 *
 * With an endpoint-independent NAT (`masquerade`, ports kept) the connection comes from the
 * rendezvous (A's output says so) and the payload crosses directly between the two NATs'
 * public addresses (counted in the public namespace's forward chain); with a NAT that
 * randomises ports (`masquerade random,fully-random`) the punch fails, A says it is because
 * its NAT is symmetric and still completes through the relay (given more rate in that case).
 * A third case puts libtorrent 2.0.8 (python3-libtorrent) behind NAT B as the seeder (the
 * punch's target), a fourth puts it behind NAT A as the leecher (the initiator, with Shoal
 * relaying and seeding), a fifth makes it the relay between two Shoal peers (ports kept):
 * libtorrent 2.0.8 binds a listen socket to each address it is given, so it listens on the
 * public namespace's address facing each NAT (10.88.1.2 and 10.88.2.2) and B dials the one on
 * its side, over uTP from its listen port, the exact endpoint libtorrent matches a
 * rendezvous against. The libtorrent cases are skipped when python3 cannot import libtorrent.
 * `HP_ONLY=kept|random|libtorrent|libtorrent-leecher|libtorrent-relay` runs one case.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNamespace, deleteNamespaces, inNs, ip, link, must, netnsSkipReason, nft } from '../helpers/netns.js';
import { CLI_PATH, PY_DIR, PYTHON, libtorrentAvailable, shoalCreate, writeTree } from './helpers.js';
import { PeerProcess, dieWithParent } from './peers/process.js';

const PREFIX = 'shoal-hp';
const NS = { lanA: `${PREFIX}-${process.pid}-lana`, rtrA: `${PREFIX}-${process.pid}-rtra`, pub: `${PREFIX}-${process.pid}-pub`, rtrB: `${PREFIX}-${process.pid}-rtrb`, lanB: `${PREFIX}-${process.pid}-lanb` };
const tag = String(process.pid % 100_000);
const PUB_A = '10.88.1.2';
/** The public namespace's address on NAT B's side. */
const PUB_B = '10.88.2.2';
const WAN_A = '10.88.1.1';
const WAN_B = '10.88.2.1';
const PORT = 6881;
/** Three Shoal DHT nodes in the public namespace, on three addresses (one vote per IP). */
const DHT_NODES = ['10.88.1.3', '10.88.1.4', '10.88.1.5'];
const PAYLOAD = 3 * 1024 * 1024;
/**
 * Bytes per second the relay peer may send and receive: with ports kept, too little to pass
 * the payload on in time (a leecher that completes got it directly); with A's ports
 * randomised, enough to carry the download once the punch has failed.
 */
const relayRate = (randomA: boolean): number => (randomA ? 128 : 16) * 1024;

/** `peer`: the other router's WAN address; packets from it let in (established) are counted. */
function router(ns: string, lanIf: string, wanIf: string, random: boolean, peer: string, limitRelay?: number): void {
  must(...inNs(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']));
  // The relay's traffic to the LAN limited here, in passing (a drop in the relay's own output chain would fail its sendto with EPERM).
  const limit = limitRelay === undefined ? '' : `ip saddr { ${PUB_A}, ${PUB_B} } meta l4proto { tcp, udp } th sport ${PORT} limit rate over ${limitRelay} bytes/second drop; `;
  nft(ns, `table inet hp {
  chain forward { type filter hook forward priority 0; policy drop; ${limit}ip saddr ${peer} ct state established counter name direct accept; ct state established,related accept; iifname "${lanIf}" accept; }
  counter direct { }
  chain input { type filter hook input priority 0; policy accept; iifname "${wanIf}" ct state != { established, related } drop; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; oifname "${wanIf}" masquerade${random ? ' random,fully-random' : ''}; }
}
`);
}

function buildTopology(randomA: boolean, ltRelay: boolean): void {
  for (const ns of Object.values(NS)) addNamespace(ns);
  link(NS.lanA, `hla${tag}`, '192.168.81.2/24', NS.rtrA, `hra${tag}`, '192.168.81.1/24');
  link(NS.rtrA, `hwa${tag}`, `${WAN_A}/24`, NS.pub, `hpa${tag}`, `${PUB_A}/24`);
  link(NS.lanB, `hlb${tag}`, '192.168.82.2/24', NS.rtrB, `hrb${tag}`, '192.168.82.1/24');
  link(NS.rtrB, `hwb${tag}`, `${WAN_B}/24`, NS.pub, `hpb${tag}`, `${PUB_B}/24`);
  for (const a of DHT_NODES) ip('-n', NS.pub, 'addr', 'add', `${a}/24`, 'dev', `hpa${tag}`);
  ip('-n', NS.lanA, 'route', 'add', 'default', 'via', '192.168.81.1');
  ip('-n', NS.lanB, 'route', 'add', 'default', 'via', '192.168.82.1');
  ip('-n', NS.rtrA, 'route', 'add', 'default', 'via', PUB_A);
  ip('-n', NS.rtrB, 'route', 'add', 'default', 'via', PUB_B);
  must(...inNs(NS.pub, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']));
  // The "internet": counts what crosses it between the two NATs (the direct path), and lets
  // the relay peer send no more than relayRate, so a leecher that completes got its data directly.
  nft(NS.pub, `table inet hp {
  counter direct { }
  chain forward { type filter hook forward priority 0; policy accept; ip saddr { ${WAN_A}, ${WAN_B} } ip daddr { ${WAN_A}, ${WAN_B} } counter name direct accept; }
${ltRelay ? '' : `  chain output { type filter hook output priority 0; policy accept; ip saddr ${PUB_A} meta l4proto { tcp, udp } th sport ${PORT} limit rate over ${relayRate(randomA)} bytes/second drop; }\n`}  chain input { type filter hook input priority 0; policy accept; ip daddr { ${PUB_A}, ${PUB_B} } meta l4proto { tcp, udp } th dport ${PORT} limit rate over ${relayRate(randomA)} bytes/second drop; }
}
`);
  // libtorrent's uTP gives up on a connection whose send fails (EPERM from a drop in its own
  // output chain), so its rate is limited at router A instead.
  router(NS.rtrA, `hra${tag}`, `hwa${tag}`, randomA, WAN_B, ltRelay ? relayRate(randomA) : undefined);
  router(NS.rtrB, `hrb${tag}`, `hwb${tag}`, false, WAN_A);
}

/** Bytes that crossed the public network between the two NATs' addresses. */
function directBytes(): number {
  const out = must(...inNs(NS.pub, 'nft', ['list', 'counter', 'inet', 'hp', 'direct']));
  return Number(/bytes (\d+)/.exec(out)?.[1] ?? 0);
}

/** Packets from the other NAT that `ns`'s router let in as part of an established flow: A and B talked directly. */
function directPackets(ns: string): number {
  const out = must(...inNs(ns, 'nft', ['list', 'counter', 'inet', 'hp', 'direct']));
  return Number(/packets (\d+)/.exec(out)?.[1] ?? 0);
}

const reason = netnsSkipReason();
process.env.SHOAL_TRACKER_LOG = '1'; // each peer logs its announces: who learnt whom

const CASES = [
  { name: 'kept', randomA: false, ltSeeder: false, ltLeecher: false, ltRelay: false },
  { name: 'random', randomA: true, ltSeeder: false, ltLeecher: false, ltRelay: false },
  { name: 'libtorrent', randomA: false, ltSeeder: true, ltLeecher: false, ltRelay: false },
  { name: 'libtorrent-leecher', randomA: false, ltSeeder: false, ltLeecher: true, ltRelay: false },
  { name: 'libtorrent-relay', randomA: false, ltSeeder: false, ltLeecher: false, ltRelay: true },
].filter((c) => process.env.HP_ONLY === undefined || process.env.HP_ONLY === c.name);

for (const { randomA, ltSeeder, ltLeecher, ltRelay } of CASES) {
  const lt = ltSeeder || ltLeecher || ltRelay ? libtorrentAvailable() : { ok: true, reason: '' };
  const skip = reason || (lt.ok ? false : lt.reason);
  const who = `${ltLeecher ? 'libtorrent' : 'Shoal'} leecher, ${ltSeeder ? 'libtorrent' : 'Shoal'} seeder, ${ltRelay ? 'libtorrent' : 'Shoal'} relay`;
  describe(`hole punching through kernel NAT (${randomA ? 'A randomises ports' : 'both keep ports'}, ${who})`, { skip, timeout: ltRelay ? 180_000 : 120_000 }, () => {
    let dir = '';
    const procs: PeerProcess[] = [];
    const spawnIn = (name: string, ns: string, args: readonly string[]): PeerProcess => {
      const [c, a] = dieWithParent(...inNs(ns, process.execPath, [CLI_PATH, ...args]));
      const p = new PeerProcess(name, c, a, { mergeStderr: true });
      procs.push(p);
      return p;
    };

    before(() => {
      deleteNamespaces(PREFIX);
      process.on('exit', () => deleteNamespaces(PREFIX));
      buildTopology(randomA, ltRelay);
      dir = mkdtempSync(join(tmpdir(), 'shoal-hp-'));
    });

    after(async () => {
      for (const p of procs) await p.stop('SIGKILL', 5000).catch(() => undefined);
      for (const ns of Object.values(NS)) ip('netns', 'del', ns);
      rmSync(dir, { recursive: true, force: true });
    });

    it(randomA ? 'knows its NAT is symmetric, asks no relay (or says why its punch failed), and completes through the relay' : 'the leecher behind NAT A reaches the seeder behind NAT B through a rendezvous', async () => {
      const data = join(dir, 'data');
      writeTree(data, [{ path: 'payload.bin', length: PAYLOAD }], 'holepunch');
      const torrent = join(dir, 'hp.torrent');
      await shoalCreate(join(data, 'payload.bin'), torrent, ['--piece-length', '64k', '--no-date']);
      const tracker = spawnIn('tracker', NS.pub, ['tracker', '--http', `${PUB_A}:8000`]);
      const dhtNodes = DHT_NODES.map((a) => spawnIn(`dht-${a}`, NS.pub, ['dht', 'node', '--listen', `${a}:${PORT}`, ...DHT_NODES.filter((b) => b !== a).flatMap((b) => ['--dht-bootstrap', `${b}:${PORT}`])]));
      await tracker.waitForLine(/http tracker on/, 15_000);
      await Promise.all(dhtNodes.map((n) => n.waitForLine(/^DHT node .* listening on/, 20_000)));
      const announce = `http://${PUB_A}:8000/announce`;
      const relayAt = `${PUB_A}:${PORT}`;
      const quiet = ['--utp', '--no-port-mapping', '--no-lsd', '--verbose'];
      // The relay first: a leecher that starts with nothing; the public router lets it send and receive only relayRate on A's side.
      let relay: PeerProcess;
      if (ltRelay) {
        // libtorrent listens on the address facing each NAT (one socket per address); B dials the one on its side.
        // "ready" waits for the torrent to be started as well: until then libtorrent turns every incoming
        // connection away (B's uTP SYN got a FIN, and TCP, from an ephemeral port the relay cannot match, won).
        const [rc, ra] = dieWithParent(...inNs(NS.pub, PYTHON, [join(PY_DIR, 'lt_nat_relay.py'), torrent, join(dir, 'relay'), `${relayAt},${PUB_B}:${PORT}`, announce]));
        relay = new PeerProcess('libtorrent-relay', rc, ra, { mergeStderr: true });
        procs.push(relay);
        await relay.waitForLine(/^ready/, 20_000);
      } else {
        relay = spawnIn('relay', NS.pub, ['get', torrent, '-o', join(dir, 'relay'), '--listen', relayAt, '--state-dir', join(dir, 'sr'), '--seed', '--tracker', announce, '--no-dht', ...quiet]);
        await relay.waitForLine(/started, \d+ peers/, 20_000);
      }
      const relayForB = ltRelay ? `${PUB_B}:${PORT}` : relayAt;
      // The seeder behind NAT B knows only the relay and hears of nobody else (no tracker, DHT or PEX):
      // only a relay's `connect` can make it dial A.
      let seed: PeerProcess;
      if (ltSeeder) {
        const [sc, sa] = dieWithParent(...inNs(NS.lanB, PYTHON, [join(PY_DIR, 'lt_nat_seed.py'), torrent, data, '0.0.0.0', String(PORT), relayForB]));
        seed = new PeerProcess('libtorrent-seeder-B', sc, sa, { mergeStderr: true });
        procs.push(seed);
        await seed.waitForLine(/^ready/, 20_000);
      } else {
        seed = spawnIn('seeder-B', NS.lanB, ['seed', torrent, join(data, 'payload.bin'), '--listen', `0.0.0.0:${PORT}`, '--state-dir', join(dir, 'sb'), '--peer', relayForB, '--no-dht', '--no-pex', ...quiet]);
        await seed.waitForLine(/^listening on /, 20_000);
      }
      // B is connected to the relay (over uTP, from its listen port) before A comes.
      await relay.waitForLine(ltRelay ? /(incoming_connection_alert|peer_connect_alert) .*10\.88\.2\.1:6881/ : /peer 10\.88\.2\.1:\d+ connected over/, 20_000, 'the seeder reaches the relay');
      const leecherStart = Date.now();
      let leecher: PeerProcess;
      if (ltLeecher) {
        // libtorrent 2.0.8 as the initiator: it asks a peer that told it of B by PEX (flag ut_holepunch) to relay.
        const [lc, la] = dieWithParent(...inNs(NS.lanA, PYTHON, [join(PY_DIR, 'lt_nat_leech.py'), torrent, join(dir, 'a'), '0.0.0.0', String(PORT), announce]));
        leecher = new PeerProcess('libtorrent-leecher-A', lc, la, { mergeStderr: true });
        procs.push(leecher);
      } else {
        leecher = spawnIn('leecher-A', NS.lanA, ['get', torrent, '-o', join(dir, 'a'), '--listen', `0.0.0.0:${PORT}`, '--state-dir', join(dir, 'sa'),
          '--tracker', announce, ...DHT_NODES.flatMap((a) => ['--dht-bootstrap', `${a}:${PORT}`]), ...quiet]);
      }
      // About 20 s when all goes well. Under heavy load (load 30+) libtorrent's uTP connection to A,
      // rate-limited at router A, sometimes times out with A's first rendezvous on it; A reconnects,
      // asks again and the punch works, at 90-110 s: that recovery is given room too.
      await leecher.waitForLine(/^complete: /, ltRelay ? 150_000 : 60_000, 'the leecher completes').catch((e: Error) => {
        throw new Error(`${e.message}${leecher.tail(40)}\n--- relay ---${relay.tail(30)}\n--- seeder ---${seed.tail(30)}\n--- tracker ---${tracker.tail()}`);
      });
      // The most the rate-limited relay can have passed on to A while A ran.
      const viaRelayAtMost = relayRate(randomA) * Math.ceil((Date.now() - leecherStart) / 1000);
      const log = leecher.lines.join('\n');
      const relayLog = relay.lines.join('\n');
      const seedLog = seed.lines.join('\n');
      const direct = { intoA: directPackets(NS.rtrA), intoB: directPackets(NS.rtrB), bytes: directBytes() };
      console.log(`direct packets B -> A ${direct.intoA}, A -> B ${direct.intoB}, bytes between the NATs ${direct.bytes}`);
      console.log(`--- leecher A (${randomA ? 'random ports' : 'ports kept'}) ---${leecher.tail(40)}\n--- relay ---${relay.tail()}\n--- seeder ---${seed.tail()}`);
      // A asked the relay, which forwarded the rendezvous to B as `connect` (BEP 55). Behind a
      // symmetric NAT A asks nobody once its vote knows (initiateWhenSymmetric: its SYN could
      // pass only a NAT that does not filter by port, and B's masquerade does).
      const aSkipped = randomA && /hole punch to 10\.88\.2\.1:6881: not asking a relay: our NAT maps a new port per destination \(symmetric\)/.test(log);
      if (aSkipped) {
        assert.doesNotMatch(log, /asked 10\.88\.1\.2:6881 to relay/, 'A asked no relay');
        assert.doesNotMatch(seedLog, /sending uTP SYNs/, 'B was never told to punch');
      } else if (!ltLeecher) assert.match(log, /hole punch to 10\.88\.2\.1:6881: asked 10\.88\.1\.2:6881 to relay/, 'A asked the relay for a rendezvous');
      if (ltRelay) {
        // libtorrent logs each BEP 55 message (with the address, not the port): A's rendezvous for B,
        // then `connect` to A naming B and to B naming A.
        assert.match(relayLog, /\[10\.88\.1\.1:6881\] <== HOLEPUNCH \[ msg: rendezvous to: 10\.88\.2\.1 \]/, 'libtorrent got A\'s rendezvous');
        assert.match(relayLog, /\[10\.88\.1\.1:6881\] ==> HOLEPUNCH \[ msg: connect to: 10\.88\.2\.1 /, 'libtorrent sent A a connect for B');
        assert.match(relayLog, /\[10\.88\.2\.1:6881\] ==> HOLEPUNCH \[ msg: connect to: 10\.88\.1\.1 /, 'libtorrent sent B a connect for A');
      } else if (!aSkipped) assert.match(relayLog, /relayed a hole punch from 10\.88\.1\.1:\d+ to 10\.88\.2\.1:6881/, 'the relay sent connect to both');
      if (aSkipped) { /* no punch: nothing more to see at B */ } else if (!ltSeeder) assert.match(seedLog, /hole punch to 10\.88\.1\.1:\d+: sending uTP SYNs \(target\)/, 'B dialled A on the relay\'s connect');
      else if (!randomA) assert.match(seedLog, /peer_connect_alert .*10\.88\.1\.1:6881.*outgoing connection to peer \(uTP\)|incoming_connection_alert .*10\.88\.1\.1:6881/, 'libtorrent met A, whom only the relay\'s connect named');
      if (randomA) {
        // Three DHT nodes saw three external ports for one local port: A knows why the punch fails.
        assert.match(log, /NAT symmetric/);
        if (!aSkipped) {
          // The vote decided only after A's first rendezvous: that punch fails, and A says why.
          assert.match(log, /hole punch to 10\.88\.2\.1:6881: sending uTP SYNs \(initiator\)/);
          assert.match(log, /hole punch to 10\.88\.2\.1:6881 failed: our NAT maps a new port per destination \(symmetric\): a punch works only with a NAT that does not filter by port; carrying on through other peers/);
        }
        // No packet from one NAT got through the other.
        assert.equal(direct.intoA, 0, 'nothing from NAT B entered NAT A');
      } else if (ltLeecher) {
        // libtorrent could not dial B, asked the relay (its peer log), and met B through the rendezvous Shoal relayed.
        assert.match(log, /==> HOLEPUNCH \[ msg: rendezvous to: 10\.88\.2\.1/, 'libtorrent sent rendezvous');
        assert.match(log, /(peer_connect_alert|incoming_connection_alert) .*10\.88\.2\.1:6881/);
        assert.ok(direct.bytes >= PAYLOAD - viaRelayAtMost, `${direct.bytes} bytes went directly between the NATs, want >= ${PAYLOAD} - ${viaRelayAtMost} (the most the relay could carry)`);
        assert.ok(direct.intoA > 0 && direct.intoB > 0, 'both routers let the other NAT in');
      } else {
        assert.match(log, /NAT cone/);
        // Either A's own punched dial connected, or B's SYN (sent on its `connect`) reached A first:
        // the relay's link is slow, so its `connect` to A may come after B's SYN.
        assert.match(log, /hole punch to 10\.88\.2\.1:6881: connected/, 'the rendezvous connected A and B');
        assert.ok(log.indexOf('asked 10.88.1.2:6881 to relay') < log.indexOf('peer 10.88.2.1:6881 connected'), 'A reached B only after the rendezvous');
        assert.doesNotMatch(log, /hole punch to .* failed/);
        // The payload crossed between the two NATs' public addresses, both ways let in by the routers.
        assert.ok(direct.bytes >= PAYLOAD - viaRelayAtMost, `${direct.bytes} bytes went directly between the NATs, want >= ${PAYLOAD} - ${viaRelayAtMost} (the most the relay could carry)`);
        assert.ok(direct.intoA > 0 && direct.intoB > 0, 'both routers let the other NAT in');
      }
    });
  });
}
