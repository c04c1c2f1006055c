/**
 * PortMapper against a real miniupnpd (Debian miniupnpd-nftables 2.3.1) in network
 * namespaces this test builds, private addresses only:
 *
 *   shoal-nat-<pid>-lan  192.168.77.2 ==veth== 192.168.77.1  shoal-nat-<pid>-rtr  10.77.0.1 ==veth== 10.77.0.2  shoal-nat-<pid>-pub
 *   (Shoal: lan-client.js)                      (miniupnpd, nftables masquerade)                     (STUN responder, "outside" peer)
 *
 * miniupnpd refuses to map while its WAN address is private, unless STUN (ext_perform_stun)
 * says it sits behind a 1:1 NAT: the public namespace runs a small RFC 5389 binding
 * responder that reports the address it sees, so miniupnpd maps with 10.77.0.1 as its
 * external address. The test then shows, for PCP, NAT-PMP and UPnP IGD (SSDP + SOAP), that a mapping is made
 * (miniupnpd's DNAT rule appears, and a TCP connection and a UDP datagram from the public
 * namespace to 10.77.0.1:<port> reach the listeners in the LAN namespace), renewed, and
 * removed on stop (the rule goes, and the connection is refused). Last, a `shoal get` in the
 * public namespace downloads a torrent from `shoal seed` in the LAN namespace through the
 * mapping the seed made of its own listen port (on by default), dialling only the router's
 * external address; the seed deletes the mapping when it exits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CLI_PATH, run as runAsync, shoalCreate, writeTree } from './helpers.js';
import { PeerProcess, dieWithParent } from './peers/process.js';

const MINIUPNPD = '/usr/sbin/miniupnpd';
const NFT = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p));
const IP = ['/usr/sbin/ip', '/sbin/ip'].find((p) => existsSync(p));
const LAN_CLIENT = resolve(import.meta.dirname, 'nat', 'lan-client.js');

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root (run the tests as root)';
  if (!IP) return 'iproute2 (`ip`) is not installed';
  if (!NFT) return 'nftables (`nft`) is not installed: apt-get install nftables';
  if (!existsSync(MINIUPNPD)) return 'miniupnpd is not installed: apt-get install miniupnpd-nftables';
  return false;
}

const PREFIX = `shoal-nat-${process.pid}`;
const LAN = `${PREFIX}-lan`;
const RTR = `${PREFIX}-rtr`;
const PUB = `${PREFIX}-pub`;
// Interface names: at most 15 characters.
const tag = String(process.pid % 1_000_000);
const IF = { lan: `snl${tag}`, rtrLan: `snr${tag}`, rtrWan: `snw${tag}`, pub: `snp${tag}` };
const LAN_ADDR = '192.168.77.2';
const GW_ADDR = '192.168.77.1';
const WAN_ADDR = '10.77.0.1';
const PUB_ADDR = '10.77.0.2';
const STUN_PORT = 3478;

function run(cmd: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') || (r.error?.message ?? '') };
}

function must(cmd: string, args: readonly string[], input?: string): string {
  const r = run(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

const ip = (...args: string[]): string => must(IP ?? 'ip', args);
const inNs = (ns: string, cmd: string, args: readonly string[]): [string, string[]] => [IP ?? 'ip', ['netns', 'exec', ns, cmd, ...args]];

/** Deletes this run's namespaces (the veth pairs go with them), and those of dead runs. */
function teardown(): void {
  const list = run(IP ?? 'ip', ['netns', 'list']).stdout;
  for (const line of list.split('\n')) {
    const m = /^(shoal-nat-(\d+)-\w+)/.exec(line.trim());
    if (!m) continue;
    const pid = Number(m[2]);
    let alive = pid !== process.pid;
    if (alive) {
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) run(IP ?? 'ip', ['netns', 'del', m[1]]);
  }
}

function buildTopology(): void {
  for (const ns of [LAN, RTR, PUB]) {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  ip('-n', LAN, 'link', 'add', IF.lan, 'type', 'veth', 'peer', 'name', IF.rtrLan, 'netns', RTR);
  ip('-n', RTR, 'link', 'add', IF.rtrWan, 'type', 'veth', 'peer', 'name', IF.pub, 'netns', PUB);
  ip('-n', LAN, 'addr', 'add', `${LAN_ADDR}/24`, 'dev', IF.lan);
  ip('-n', LAN, 'link', 'set', IF.lan, 'up');
  ip('-n', LAN, 'route', 'add', 'default', 'via', GW_ADDR);
  ip('-n', RTR, 'addr', 'add', `${GW_ADDR}/24`, 'dev', IF.rtrLan);
  ip('-n', RTR, 'link', 'set', IF.rtrLan, 'up');
  ip('-n', RTR, 'addr', 'add', `${WAN_ADDR}/24`, 'dev', IF.rtrWan);
  ip('-n', RTR, 'link', 'set', IF.rtrWan, 'up');
  ip('-n', RTR, 'route', 'add', 'default', 'via', PUB_ADDR);
  ip('-n', PUB, 'addr', 'add', `${PUB_ADDR}/24`, 'dev', IF.pub);
  ip('-n', PUB, 'link', 'set', IF.pub, 'up');
  must(...inNs(RTR, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']));
  // A home router's firewall: LAN out is masqueraded, WAN in is dropped unless miniupnpd's
  // chains (which it fills) let it through.
  const ruleset = `table inet shoalnat {
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "${IF.rtrLan}" accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; oifname "${IF.rtrWan}" masquerade; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`;
  must(...inNs(RTR, NFT ?? 'nft', ['-f', '-']), ruleset);
}

/** An RFC 5389 Binding responder: answers each request with XOR-MAPPED-ADDRESS = its source. */
const STUN_SCRIPT = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  if (m.length < 20 || m.readUInt16BE(0) !== 0x0001 || m.readUInt32BE(4) !== 0x2112a442) return;
  const out = Buffer.alloc(32);
  out.writeUInt16BE(0x0101, 0);
  out.writeUInt16BE(12, 2);
  m.copy(out, 4, 4, 20);
  out.writeUInt16BE(0x0020, 20);
  out.writeUInt16BE(8, 22);
  out[25] = 1;
  out.writeUInt16BE(r.port ^ 0x2112, 26);
  r.address.split('.').forEach((b, i) => { out[28 + i] = Number(b) ^ [0x21, 0x12, 0xa4, 0x42][i]; });
  s.send(out, r.port, r.address);
});
s.bind(Number(process.argv[2]), process.argv[1], () => console.log('stun ready'));
`;

/** From the public namespace: what a TCP connection to host:port reads, or "ERR <code>". */
const TCP_PROBE = `
const net = require('node:net');
const c = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
let got = '';
c.setTimeout(3000, () => { console.log('ERR timeout'); process.exit(0); });
c.on('data', (d) => { got += d; });
c.on('end', () => { console.log(got.trim()); process.exit(0); });
c.on('error', (e) => { console.log('ERR ' + e.code); process.exit(0); });
`;

/** From the public namespace: the UDP echo of "probe", or "ERR timeout". */
const UDP_PROBE = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const t = setTimeout(() => { console.log('ERR timeout'); process.exit(0); }, 3000);
s.on('message', (m) => { clearTimeout(t); console.log(String(m)); process.exit(0); });
s.send('probe-' + process.argv[2], Number(process.argv[2]), process.argv[1]);
`;

function probe(script: string, port: number): string {
  return must(...inNs(PUB, process.execPath, ['-e', script, WAN_ADDR, String(port)])).trim();
}

/**
 * miniupnpd's DNAT rules for `port`, as nft lists them. It matches the IP protocol byte
 * directly (`@nh,72,8 0x6` is TCP, `0x11` UDP).
 */
function dnatRules(port: number): string[] {
  const out = must(...inNs(RTR, NFT ?? 'nft', ['list', 'chain', 'inet', 'shoalnat', 'prerouting_miniupnpd']));
  return out.split('\n').map((l) => l.trim()).filter((l) => l.includes(`dport ${port} `) && l.includes('dnat'));
}

interface MappingEvent {
  readonly type: 'mapping';
  readonly at: number;
  readonly mapping: { protocol: string; status: string; via?: string; externalAddress?: string; externalPort?: number; expiresAt?: number; reason?: string };
}

const reason = skipReason();

describe('port mapping against a real miniupnpd in network namespaces', { skip: reason, timeout: 120_000 }, () => {
  let dir = '';
  const procs: PeerProcess[] = [];
  const spawnIn = (name: string, ns: string, cmd: string, args: readonly string[]): PeerProcess => {
    const [c, a] = dieWithParent(...inNs(ns, cmd, args));
    const p = new PeerProcess(name, c, a, { mergeStderr: true });
    procs.push(p);
    return p;
  };

  before(async () => {
    teardown();
    process.on('exit', teardown);
    buildTopology();
    dir = mkdtempSync(join(tmpdir(), 'shoal-nat-'));
    const stun = spawnIn('stun', PUB, process.execPath, ['-e', STUN_SCRIPT, PUB_ADDR, String(STUN_PORT)]);
    await stun.waitForLine(/stun ready/, 10_000);
    const conf = join(dir, 'miniupnpd.conf');
    writeFileSync(conf, [
      `ext_ifname=${IF.rtrWan}`,
      `listening_ip=${IF.rtrLan}`,
      'port=0',
      'enable_natpmp=yes',
      'enable_upnp=yes',
      'ext_perform_stun=yes',
      `ext_stun_host=${PUB_ADDR}`,
      `ext_stun_port=${STUN_PORT}`,
      'secure_mode=yes',
      // Short leases so that the test sees a renewal within seconds.
      'min_lifetime=4',
      'max_lifetime=3600',
      `lease_file=${join(dir, 'leases')}`,
      'upnp_table_name=shoalnat',
      'upnp_nat_table_name=shoalnat',
      'upnp_forward_chain=miniupnpd',
      'upnp_nat_chain=prerouting_miniupnpd',
      'upnp_nat_postrouting_chain=postrouting_miniupnpd',
      'uuid=6a0c9c84-3c1e-4d4e-9a51-5f0a5e0d7a11',
      'allow 1024-65535 192.168.77.0/24 1024-65535',
      'deny 0-65535 0.0.0.0/0 0-65535',
      '',
    ].join('\n'));
    const mu = spawnIn('miniupnpd', RTR, MINIUPNPD, ['-f', conf, '-d', '-P', join(dir, 'miniupnpd.pid')]);
    await mu.waitForLine(/Listening for NAT-PMP\/PCP traffic/, 20_000);
    assert.ok(mu.lines.some((l) => /unrestricted full-cone NAT 1:1 with public IP address 10\.77\.0\.1/.test(l)), `miniupnpd took no STUN address${mu.tail()}`);
  });

  after(async () => {
    for (const p of procs.reverse()) await p.stop('SIGTERM', 3000);
    teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [protocol, port] of [['pcp', 6881], ['natpmp', 6882], ['upnp', 6883]] as const) {
    it(`maps TCP and UDP over ${protocol}, is reachable from outside, renews, and removes the mappings on stop`, async () => {
      const client = spawnIn(`lan-client-${protocol}`, LAN, process.execPath, [LAN_CLIENT, String(port), '4', protocol]);
      const mapped = (proto: string, after = -1) => client.waitForJson<MappingEvent>(
        (o) => o.type === 'mapping' && (o as unknown as MappingEvent).mapping.protocol === proto
          && (o as unknown as MappingEvent).mapping.status === 'mapped' && (o as unknown as MappingEvent).at > after,
        20_000, `${proto} mapped`);
      const tcp = await mapped('tcp');
      const udp = await mapped('udp');
      for (const m of [tcp.mapping, udp.mapping]) {
        assert.equal(m.via, protocol);
        assert.equal(m.externalAddress, WAN_ADDR);
        assert.equal(m.externalPort, port);
      }
      const gw = client.jsonLines().find((o) => o.type === 'gateway');
      assert.equal(gw?.gateway, GW_ADDR, 'the gateway comes from the LAN namespace routing table');
      assert.ok(client.jsonLines().some((o) => o.type === 'external-address' && o.address === WAN_ADDR));

      // miniupnpd made the DNAT rules, and an outside host reaches both listeners through them.
      assert.ok(dnatRules(port).some((r) => /@nh,72,8 0x6 /.test(r) && r.includes(`${LAN_ADDR}:${port}`)), dnatRules(port).join('\n'));
      assert.ok(dnatRules(port).some((r) => /@nh,72,8 0x11 /.test(r) && r.includes(`${LAN_ADDR}:${port}`)), dnatRules(port).join('\n'));
      assert.equal(probe(TCP_PROBE, port), `shoal:${port}`);
      assert.equal(probe(UDP_PROBE, port), `probe-${port}`);

      // A 4 s lease is renewed at 2 s: a later 'mapped' with a later expiry, same port.
      const renewed = await mapped('tcp', tcp.at);
      assert.equal(renewed.mapping.externalPort, port);
      assert.ok((renewed.mapping.expiresAt ?? 0) > (tcp.mapping.expiresAt ?? 0));
      assert.equal(probe(TCP_PROBE, port), `shoal:${port}`, 'still reachable after the renewal');

      await client.stop('SIGTERM', 10_000);
      const stopped = client.jsonLines().find((o) => o.type === 'stopped') as { mappings: { status: string }[] } | undefined;
      assert.deepEqual(stopped?.mappings.map((m) => m.status), ['removed', 'removed'], client.tail());
      assert.deepEqual(dnatRules(port), [], 'miniupnpd dropped its rules on our delete');
      assert.match(probe(TCP_PROBE, port), /^ERR /, 'the port is closed from outside once the mapping is gone');
    });
  }

  it('shoal seed maps its listen port by itself, an outside peer downloads through it, and the mapping goes on exit', async () => {
    const port = 6884;
    const data = join(dir, 'data');
    writeTree(join(data, 'nat-payload'), [{ path: 'a.bin', length: 700_000 }, { path: 'b.bin', length: 300_001 }]);
    const torrent = join(dir, 'payload.torrent');
    const created = await shoalCreate(join(data, 'nat-payload'), torrent, ['--piece-length', '64k', '--no-date']);
    assert.equal(created.code, 0, created.stderr);
    const seed = spawnIn('shoal-seed', LAN, process.execPath, [CLI_PATH, 'seed', torrent, join(data, 'nat-payload'),
      '--listen', `0.0.0.0:${port}`, '--no-dht', '--state-dir', join(dir, 'state-seed')]);
    await seed.waitForLine(/^listening on /, 30_000);
    // shoal seed maps its own listen port (on by default; the gateway from the LAN namespace's routes).
    const line = await seed.waitForLine(/^port mapping: tcp 6884 is reachable at 10\.77\.0\.1:6884 \((pcp|natpmp|upnp)\)$/, 20_000, 'the seed\'s port mapping');
    assert.ok(line);
    assert.ok(dnatRules(port).some((r) => r.includes(`${LAN_ADDR}:${port}`)));
    const out = join(dir, 'got');
    // The outside peer knows only the router's external address and the mapped port.
    const get = await runAsync(...inNs(PUB, process.execPath, [CLI_PATH, 'get', torrent, '-o', out, '--peer', `${WAN_ADDR}:${port}`,
      '--listen', `${PUB_ADDR}:0`, '--no-dht', '--state-dir', join(dir, 'state-get')]), { timeoutMs: 60_000 });
    assert.equal(get.code, 0, `shoal get failed: ${get.stderr}${seed.tail()}`);
    const sha1 = (f: string): string => createHash('sha1').update(readFileSync(f)).digest('hex');
    for (const f of ['a.bin', 'b.bin']) assert.equal(sha1(join(out, 'nat-payload', f)), sha1(join(data, 'nat-payload', f)), `${f} differs`);
    await seed.stop('SIGINT', 15_000);
    assert.deepEqual(seed.exitStatus, { code: 130, signal: null }, seed.tail());
    assert.deepEqual(dnatRules(port), [], 'shoal seed deleted its mapping on exit');
  });
});
