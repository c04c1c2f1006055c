/** BEP 52 `file tree`: parse it into files in piece-space order, and build one. */
import { isBytes, isDict, optBytesField, optUintField } from '../bencode/access.js';
import type { BDict, Encodable } from '../bencode/types.js';
import { keyText, textKey } from '../bencode/types.js';
import { TorrentParseError } from './errors.js';

export interface TreeFile {
  readonly path: string[];
  readonly length: number;
  readonly piecesRoot?: Uint8Array;
  readonly attr: string;
}

const err = (m: string): Error => new TorrentParseError(m);

/**
 * Walks the tree depth-first in key order (dict order), which is the files' piece-space order.
 * Iterative (an explicit stack), so a caller's large `maxPathDepth` cannot overflow the call stack.
 */
export function parseFileTree(tree: BDict, limits: { maxFiles: number; maxPathDepth: number }): TreeFile[] {
  const out: TreeFile[] = [];
  const stack: { node: BDict; path: string[] }[] = [{ node: tree, path: [] }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { node, path } = next;
    if (path.length > limits.maxPathDepth) throw err(`file tree deeper than maxPathDepth (${limits.maxPathDepth})`);
    const leaf = node.get('');
    if (leaf !== undefined) {
      if (!isDict(leaf)) throw err(`file tree: '${path.join('/')}' has a malformed file entry`);
      if (path.length === 0) throw err('file tree: the root must not be a file');
      if (node.size !== 1) throw err(`file tree: file '${path.join('/')}' has sibling entries`);
      const where = `file '${path.join('/')}'`;
      const length = optUintField(leaf, 'length', where, err);
      if (length === undefined) throw err(`${where}: missing 'length'`);
      const piecesRoot = optBytesField(leaf, 'pieces root', where, err);
      if (length > 0 && (!piecesRoot || piecesRoot.length !== 32)) throw err(`${where}: 'pieces root' must be 32 bytes`);
      const attrBytes = leaf.get('attr');
      const attr = isBytes(attrBytes) ? Buffer.from(attrBytes).toString('latin1') : '';
      if (out.length >= limits.maxFiles) throw err(`more than maxFiles (${limits.maxFiles}) files`);
      out.push({ path, length, piecesRoot: length > 0 ? piecesRoot : undefined, attr });
      continue;
    }
    if (node.size === 0 && path.length > 0) throw err(`file tree: directory '${path.join('/')}' is empty`);
    const children: { node: BDict; path: string[] }[] = [];
    for (const [key, child] of node) {
      if (!isDict(child)) throw err(`file tree: entry '${[...path, keyText(key)].join('/')}' is not a dictionary`);
      children.push({ node: child, path: [...path, keyText(key)] });
    }
    // Pushed last to first, so the first key is walked first.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  if (out.length === 0) throw err('file tree holds no files');
  return out;
}

/** Builds a `file tree` dict from files (paths as text components). */
export function buildFileTree(files: readonly TreeFile[]): Map<string, Encodable> {
  const root = new Map<string, Encodable>();
  for (const f of files) {
    let node = root;
    for (const part of f.path) {
      const k = textKey(part);
      let child = node.get(k) as Map<string, Encodable> | undefined;
      if (!child) {
        child = new Map();
        node.set(k, child);
      }
      node = child;
    }
    const leaf = new Map<string, Encodable>([['length', f.length]]);
    if (f.attr) leaf.set('attr', Buffer.from(f.attr, 'latin1'));
    if (f.piecesRoot) leaf.set('pieces root', f.piecesRoot);
    node.set('', leaf);
  }
  return root;
}
