/**
 * The no-peers hint of `shoal get` names each peer source that came up empty and what to try,
 * from the announcer's events and the DHT's state; its delay comes from SHOAL_PEER_HINT_SECONDS.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newPeerSourceState, noPeersHint, noteTrackerEvent, peerHintDelayMs, PEER_HINT_DEFAULT_SECONDS } from '../../src/cli/peer-hint.js';

describe('no-peers hint', () => {
  it('no trackers, DHT off, no --peer: suggests --peer and --dht-bootstrap', () => {
    const s = newPeerSourceState({ trackers: false, dht: false, manualPeers: [] });
    assert.equal(noPeersHint(s), 'no peers found yet: the torrent has no trackers and the DHT is off (--no-dht); still waiting (try --peer HOST:PORT or --dht-bootstrap HOST:PORT)');
  });

  it('trackers that all failed, a DHT that could not start, a --peer that did not connect', () => {
    const s = newPeerSourceState({ trackers: true, dht: true, manualPeers: ['10.0.0.5:6881'] });
    noteTrackerEvent(s, { type: 'all-failed', event: 'started' });
    s.dht = 'unavailable';
    assert.equal(
      noPeersHint(s),
      'no peers found yet: its trackers did not answer, the DHT could not start (no bootstrap node could be resolved) and --peer 10.0.0.5:6881 did not connect; still waiting (check that the peer is running and reachable, or try --dht-bootstrap HOST:PORT)',
    );
  });

  it('a tracker that answered stays answered; the peers it listed are counted', () => {
    const s = newPeerSourceState({ trackers: true, dht: true, manualPeers: [] });
    s.dht = 'running';
    const response = { interval: 60, peers: [{ host: '10.0.0.1', port: 1 }, { host: '10.0.0.2', port: 2 }] };
    noteTrackerEvent(s, { type: 'announced', url: 'http://t/announce', event: 'started', response });
    noteTrackerEvent(s, { type: 'all-failed', event: 'none' });
    assert.equal(noPeersHint(s), 'no peers found yet: none of the 2 peers its trackers listed could be reached and the DHT found nobody; still waiting (try --peer HOST:PORT)');
  });

  it('takes its delay from SHOAL_PEER_HINT_SECONDS; 0 turns it off; nonsense keeps the default', () => {
    assert.equal(peerHintDelayMs({}), PEER_HINT_DEFAULT_SECONDS * 1000);
    assert.equal(peerHintDelayMs({ SHOAL_PEER_HINT_SECONDS: '2' }), 2000);
    assert.equal(peerHintDelayMs({ SHOAL_PEER_HINT_SECONDS: '0' }), undefined);
    assert.equal(peerHintDelayMs({ SHOAL_PEER_HINT_SECONDS: 'soon' }), PEER_HINT_DEFAULT_SECONDS * 1000);
  });
});
