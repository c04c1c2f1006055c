/**
 * Bencode values (BEP 3).
 *
 * - byte strings are `Uint8Array` (decoded ones are views into the input unless `copy` is set);
 * - integers are `number` when they fit a safe integer, `bigint` otherwise;
 * - lists are arrays;
 * - dictionaries are `Map`s keyed by *binary strings*: one JS char per byte (latin1), so
 *   arbitrary byte keys (v2 `piece layers` are keyed by 32-byte hashes) survive, and
 *   sorting the JS strings sorts the raw bytes. ASCII keys read as themselves.
 */
export type BValue = Uint8Array | number | bigint | BList | BDict;
export type BList = BValue[];
export type BDict = Map<string, BValue>;

/** What `encode` accepts: bencode values plus JS conveniences. */
export type Encodable =
  | Uint8Array
  | string // UTF-8 text
  | number // must be an integer
  | bigint
  | boolean // 1 / 0
  | readonly Encodable[]
  | ReadonlyMap<string, Encodable | undefined> // binary-string keys
  | { readonly [key: string]: Encodable | undefined }; // UTF-8 text keys; undefined entries are left out

/** Turns a binary-string dict key into bytes. */
export function keyBytes(key: string): Uint8Array {
  return Uint8Array.from(Buffer.from(key, 'latin1'));
}

/** Turns a UTF-8 text into the binary-string form used for dict keys. */
export function textKey(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Reads a binary-string dict key as UTF-8 text. */
export function keyText(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}
