/**
 * A 30-bit FNV-1a hash of a string's char codes: a small integer, so a Map keyed by it or an
 * array holding it keeps no object per key (node ids, voter hosts in the DHT's hot paths).
 * Equal strings give equal keys; callers confirm a hit against the string itself. A table whose
 * keys a remote party chooses (source addresses) passes a secret `seed`, or anyone could send
 * from addresses that all land in one probe run.
 */
export function smallHash(s: string, seed = 0): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}
