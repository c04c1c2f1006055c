/**
 * Saving and reloading a node across restarts: its id and its routing table's nodes, as a
 * small bencoded dictionary {"id": <20 bytes>, "nodes": <compact v4>, "nodes6": <compact v6>}.
 * Reloaded nodes are not trusted blindly: they seed the bootstrap lookup and enter the table
 * only when they answer.
 */
import { decode, encode, isBytes, isDict } from '../bencode/index.js';
import { decodeNodes, encodeNodes, type Contact } from './compact.js';
import { DhtError } from './errors.js';
import { ID_BYTES, idFromBytes, idToBytes, type NodeId } from './node-id.js';

/** Most nodes kept in a saved state. */
export const MAX_SAVED_NODES = 1000;

export interface DhtState {
  readonly id: NodeId;
  readonly contacts: Contact[];
}

export function encodeState(id: NodeId, contacts: readonly Contact[]): Uint8Array {
  const some = contacts.slice(0, MAX_SAVED_NODES);
  return encode(new Map<string, Uint8Array | number>([
    ['id', idToBytes(id)],
    ['nodes', encodeNodes(some, 4)],
    ['nodes6', encodeNodes(some, 6)],
    ['version', 1],
  ]));
}

export function parseState(data: Uint8Array): DhtState {
  let root;
  try {
    root = decode(data, { maxSize: 1 << 20 });
  } catch (e) {
    throw new DhtError(`saved DHT state is not valid bencode (${(e as Error).message})`);
  }
  if (!isDict(root)) throw new DhtError('saved DHT state is not a dictionary');
  const id = root.get('id');
  if (!isBytes(id) || id.length !== ID_BYTES) throw new DhtError("saved DHT state has no 20-byte 'id'");
  const nodes = root.get('nodes');
  const nodes6 = root.get('nodes6');
  const contacts = [
    ...(isBytes(nodes) ? decodeNodes(nodes, 4, MAX_SAVED_NODES) : []),
    ...(isBytes(nodes6) ? decodeNodes(nodes6, 6, MAX_SAVED_NODES) : []),
  ];
  return { id: idFromBytes(id), contacts };
}
