/** Typed reads of decoded bencode, with errors that name the field a user must fix. */
import { InputError } from '../errors.js';
import type { BDict, BList, BValue } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isDict(v: BValue | undefined): v is BDict {
  return v instanceof Map;
}
export function isList(v: BValue | undefined): v is BList {
  return Array.isArray(v);
}
export function isBytes(v: BValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array;
}

type Err = (message: string) => Error;
const defaultErr: Err = (m) => new InputError(m);

function missing(where: string, key: string, err: Err): never {
  throw err(`${where}: missing '${key}'`);
}
function wrong(where: string, key: string, what: string, err: Err): never {
  throw err(`${where}: '${key}' must be ${what}`);
}

export function dictField(d: BDict, key: string, where: string, err: Err = defaultErr): BDict {
  const v = d.get(key);
  if (v === undefined) missing(where, key, err);
  if (!isDict(v)) wrong(where, key, 'a dictionary', err);
  return v;
}
export function optDictField(d: BDict, key: string, where: string, err: Err = defaultErr): BDict | undefined {
  return d.has(key) ? dictField(d, key, where, err) : undefined;
}

export function listField(d: BDict, key: string, where: string, err: Err = defaultErr): BList {
  const v = d.get(key);
  if (v === undefined) missing(where, key, err);
  if (!isList(v)) wrong(where, key, 'a list', err);
  return v;
}
export function optListField(d: BDict, key: string, where: string, err: Err = defaultErr): BList | undefined {
  return d.has(key) ? listField(d, key, where, err) : undefined;
}

export function bytesField(d: BDict, key: string, where: string, err: Err = defaultErr): Uint8Array {
  const v = d.get(key);
  if (v === undefined) missing(where, key, err);
  if (!isBytes(v)) wrong(where, key, 'a byte string', err);
  return v;
}
export function optBytesField(d: BDict, key: string, where: string, err: Err = defaultErr): Uint8Array | undefined {
  return d.has(key) ? bytesField(d, key, where, err) : undefined;
}

/** A non-negative safe integer field (lengths, counts). */
export function uintField(d: BDict, key: string, where: string, err: Err = defaultErr): number {
  const v = d.get(key);
  if (v === undefined) missing(where, key, err);
  if (typeof v !== 'number' || v < 0) wrong(where, key, 'a non-negative integer', err);
  return v;
}
export function optUintField(d: BDict, key: string, where: string, err: Err = defaultErr): number | undefined {
  return d.has(key) ? uintField(d, key, where, err) : undefined;
}

export function textOf(b: Uint8Array, where: string, err: Err = defaultErr): string {
  try {
    return utf8.decode(b);
  } catch {
    throw err(`${where}: not valid UTF-8`);
  }
}

export function textField(d: BDict, key: string, where: string, err: Err = defaultErr): string {
  return textOf(bytesField(d, key, where, err), `${where}.${key}`, err);
}
export function optTextField(d: BDict, key: string, where: string, err: Err = defaultErr): string | undefined {
  return d.has(key) ? textField(d, key, where, err) : undefined;
}
