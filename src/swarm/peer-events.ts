/**
 * What a swarm does with each event from a peer's wire state machine: handshakes, BEP 10
 * extension messages (metadata, PEX, BEP 55 hole punching) and the core messages.
 */
import { bytesToIp, ipToBytes, isCorruptData, UT_HOLEPUNCH, type PeerEvent, type PexPayload } from '../wire/index.js';
import { serveHashes } from './metadata-exchange.js';
import { samePeerId } from './peer-identity.js';
import { keepIfNotDuplicate } from './discipline.js';
import { handlePieceMessage, fillRequests } from './transfer.js';
import { serveRequest } from './uploads.js';
import type { PeerSession } from './peer-session.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './defaults.js';
import type { Swarm } from './swarm.js';
import { chokeUninterested } from './choking.js';
import { countAvailability, setInterest, updateInterest } from './interest.js';
import { pexTooSoon } from './pex-rate.js';

export function onPeerEvent(swarm: Swarm, peer: PeerSession, e: PeerEvent): void {
  const picker = swarm.picker;
  switch (e.type) {
    case 'handshake': {
      if (samePeerId(e.peerId, swarm.opts.peerId)) {
        // The dialling side closes: it alone knows the address that leads to us, and must
        // see our handshake to learn it (closing here could lose that in a reset).
        if (peer.incoming) {
          swarm.runtime.clock.setTimer(swarm.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, () => peer.close('connected to ourselves'));
          return;
        }
        swarm.pool.markSelf(peer.address); // never dial that address again
        return peer.close('connected to ourselves');
      }
      if (!keepIfNotDuplicate(swarm, peer, e.peerId)) return;
      if (!peer.incoming) swarm.pool.markWorked(peer.address); // its failures cleared here, not at TCP connect
      swarm.emit({ type: 'peer-connected', address: peer.key, transport: peer.overUtp ? 'utp' : 'tcp' });
      swarm.holepunch?.peerConnected(peer); // BEP 55: the target of our punch may have dialled in first
      if (picker) {
        const have = picker.have;
        peer.conn.sendAvailability(have.complete ? 'all' : have.count === 0 ? 'none' : have);
      } else peer.conn.sendAvailability('none');
      if (e.negotiated.extensionProtocol) {
        peer.conn.sendExtendedHandshake({
          v: swarm.opts.clientName ?? 'Shoal 0.1.0',
          p: swarm.opts.listenPort,
          reqq: 250,
          metadataSize: swarm.torrent?.infoBytes.length,
          uploadOnly: picker?.done,
          yourip: ipToBytes(peer.address.host), // BEP 10: how we see it (its external-address vote)
        });
      }
      return;
    }
    case 'extended_handshake':
      if (e.handshake.yourip) swarm.opts.onAddressReport?.(peer.address.host, bytesToIp(e.handshake.yourip));
      if (e.handshake.metadataSize !== undefined) swarm.metadata.addPeer(peer, e.handshake.metadataSize);
      if (peer.incoming && e.handshake.p !== undefined && !peer.listenAddress) {
        // Where it listens (BEP 10 `p`): that candidate is this connection, not one to dial.
        peer.listenAddress = { host: peer.address.host, port: e.handshake.p };
        swarm.pool.add(peer.listenAddress, 'incoming');
        swarm.pool.markConnected(peer.listenAddress, true);
        swarm.pool.markWorked(peer.listenAddress);
      }
      return;
    case 'metadata':
      return swarm.metadata.onMessage(peer, e.message);
    case 'pex':
      if (!swarm.pexOn()) return; // BEP 27: peers of a private torrent come from its trackers only
      if (pexTooSoon(peer, swarm.runtime.clock.now(), swarm.opts.minPexIntervalMs)) return; // BEP 11: once a minute (pex-rate.ts)
      takePex(swarm, peer, e.message);
      return swarm.dial();
    case 'extension':
      if (e.name === UT_HOLEPUNCH) swarm.holepunch?.onMessage(peer, e.payload);
      return;
    case 'message':
      return onMessage(swarm, peer, e.message);
    case 'requests_dropped':
      if (!picker || e.requests.length === 0) return;
      for (const r of e.requests) picker.requestDropped(r, peer);
      // Blocks back in the picker: the other peers may ask for them now, not at the next tick.
      return swarm.refillAll();
    case 'error':
      // Corrupt data (metadata failing the info hash) bans the IP; any other protocol
      // violation closes, and repeat offenders are refused for a while.
      if (isCorruptData(e.error.violation)) return swarm.ban(peer, e.error.message);
      return swarm.violation(peer, e.error.message);
    case 'timeout':
      return peer.close(`timed out (${e.reason})`);
    default:
      return;
  }
}

/**
 * A PEX message taken, read off its compact lists (PexPayload): an entry becomes an address
 * object only when the pool does not know it yet; its key is made once for both tables. The
 * dropped come first (BEP 55: a peer no longer connected to an address cannot relay to it);
 * the pool keeps those addresses (a peer that left one neighbour may still be in the swarm).
 */
function takePex(swarm: Swarm, peer: PeerSession, m: PexPayload): void {
  const holepunch = swarm.holepunch;
  if (holepunch) for (let i = 0; i < m.droppedCount; i++) if (m.droppedPort(i) !== 0) holepunch.dropped(peer, m.droppedKey(i));
  for (let i = 0; i < m.addedCount; i++) {
    if (m.addedPort(i) === 0) continue;
    const key = m.addedKey(i);
    if (!swarm.pool.knows(key)) swarm.pool.add(m.addedPeer(i), 'pex', key);
    holepunch?.heardOf(peer, m.addedFlags(i), key);
  }
}

function onMessage(swarm: Swarm, peer: PeerSession, m: Extract<PeerEvent, { type: 'message' }>['message']): void {
  const picker = swarm.picker;
  switch (m.type) {
    case 'have':
      picker?.peerHas(m.index);
      // One wanted piece is enough to be interested: no scan of the peer's pieces.
      if (picker && picker.wants(m.index) && !peer.conn.amInterested) {
        setInterest(swarm, peer, true);
        peer.flush();
      }
      return fillRequests(swarm, peer);
    case 'bitfield':
      countAvailability(swarm, peer);
      updateInterest(swarm, peer);
      return;
    case 'have_all':
      countAvailability(swarm, peer);
      updateInterest(swarm, peer);
      return;
    case 'unchoke':
      swarm.requests.recount(peer);
      return fillRequests(swarm, peer);
    case 'choke':
      return swarm.requests.recount(peer);
    case 'not_interested':
      chokeUninterested(swarm.unchoked, peer);
      // A free slot goes to an interested peer at once, not at the next round.
      return swarm.fillSlots();
    case 'interested':
      return swarm.fillSlots();
    case 'piece':
      return handlePieceMessage(swarm, peer, m.index, m.begin, m.block);
    case 'request':
      return serveRequest(swarm, peer, m.index);
    case 'reject':
      picker?.requestDropped(m, peer);
      // The block is free again: whoever else has it may ask for it now.
      return swarm.refillAll();
    case 'allowed_fast':
      return fillRequests(swarm, peer);
    case 'hash_request':
      return serveHashes(swarm.torrent, peer, m);
    case 'hashes':
      return swarm.metadata.onHashes(peer, m);
    case 'hash_reject':
      return swarm.metadata.onHashReject(peer);
    default:
      return;
  }
}
