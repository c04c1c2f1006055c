import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import {
  MIN_COMPONENT_BYTES,
  PATH_SAFETY_DEFAULTS,
  UnsafePathError,
  neutralise,
  resolveInside,
  validatePathComponents,
} from '../../src/storage/path-safety.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function refuses(components: string[], reason: RegExp): void {
  assert.throws(
    () => validatePathComponents(components),
    (e: unknown) =>
      e instanceof UnsafePathError &&
      e instanceof InputError &&
      reason.test(e.message) &&
      e.message.includes(JSON.stringify(components.join('/'))),
    JSON.stringify(components),
  );
}

describe('validatePathComponents: refusals', () => {
  it('refuses an empty component list', () => refuses([], /has no components/));
  it('refuses empty components', () => {
    refuses([''], /is empty/);
    refuses(['a', '', 'b'], /is empty/);
  });
  it("refuses '.' and '..' anywhere", () => {
    refuses(['.'], /is '\.'/);
    refuses(['..'], /is '\.\.'/);
    refuses(['a', '..', '..', 'etc', 'passwd'], /is '\.\.'/);
  });
  it('refuses components holding a path separator, which also covers absolute paths', () => {
    refuses(['a/b'], /path separator/);
    refuses(['/etc/passwd'], /path separator/);
    refuses(['..\\..\\windows'], /path separator/);
    refuses(['\\\\server\\share'], /path separator/);
  });
  it('refuses NUL and other control characters', () => {
    refuses(['a\u0000b'], /control character/);
    refuses(['line\nbreak'], /control character/);
    refuses(['tab\t'], /control character/);
    refuses(['\u001f'], /control character/);
  });
  it('refuses a Windows drive letter at the start of a component', () => {
    refuses(['C:'], /drive letter/);
    refuses(['c:evil'], /drive letter/);
    refuses(['dir', 'Z:x.txt'], /drive letter/);
  });
  it('names the whole offending path in the message', () => {
    assert.throws(() => validatePathComponents(['dir', '..', 'x']), /unsafe file path "dir\/\.\.\/x" in torrent: a path component is '\.\.'/);
  });
});

describe('validatePathComponents: accepted as is', () => {
  it('keeps ordinary names, Unicode, leading dots and inner colons untouched', () => {
    const ok = ['Movies', 'Film: Part 2 (2001)', '.hidden', '..foo', 'a..b', '日本語.txt', 'con tent', 'console.log', 'COM10', 'lpt', 'x.CON'];
    assert.deepEqual(validatePathComponents(ok), ok);
  });
  it('returns a new array', () => {
    const input = ['a'];
    assert.notEqual(validatePathComponents(input), input);
  });
});

describe('validatePathComponents: neutralising', () => {
  it('puts _ after Windows device names, any case, with or without extension', () => {
    const cases: [string, string][] = [
      ['CON', 'CON_'],
      ['prn', 'prn_'],
      ['Aux.txt', 'Aux_.txt'],
      ['nul.tar.gz', 'nul_.tar.gz'],
      ['COM1', 'COM1_'],
      ['com9.log', 'com9_.log'],
      ['LPT1', 'LPT1_'],
      ['lpt9.x', 'lpt9_.x'],
      ['COM¹', 'COM¹_'],
      ['CONIN$', 'CONIN$_'],
      ['CON .txt', 'CON _.txt'],
    ];
    for (const [input, out] of cases) assert.deepEqual(validatePathComponents([input]), [out], input);
  });
  it('appends _ to a trailing dot or space (Windows would drop it)', () => {
    assert.deepEqual(validatePathComponents(['a.', 'b ', '...', 'nul.']), ['a._', 'b _', '..._', 'nul_._']);
  });
  it('cuts a component longer than 255 UTF-8 bytes, keeping its extension', () => {
    assert.equal(PATH_SAFETY_DEFAULTS.maxComponentBytes, 255);
    const [out] = validatePathComponents([`${'a'.repeat(300)}.mkv`]);
    assert.equal(out, `${'a'.repeat(251)}.mkv`);
    assert.equal(bytes(out), 255);
    assert.deepEqual(validatePathComponents(['b'.repeat(255)]), ['b'.repeat(255)], 'exactly 255 bytes is kept');
  });
  it('cuts multi-byte names at a character boundary', () => {
    const [out] = validatePathComponents([`${'日'.repeat(100)}.txt`]); // 300 bytes + 4
    assert.equal(out, `${'日'.repeat(83)}.txt`); // 249 + 4 bytes; a 84th would make 256
    const [emoji] = validatePathComponents(['😀'.repeat(70)]); // 280 bytes, 4 each
    assert.equal(emoji, '😀'.repeat(63));
    assert.ok(!/\p{Cs}/u.test(emoji), 'no lone surrogate');
  });
  it('drops an extension too long to be worth keeping', () => {
    const [out] = validatePathComponents([`x.${'e'.repeat(300)}`]);
    assert.equal(out, `x.${'e'.repeat(253)}`);
  });
  it('leaves no trailing dot or space after cutting', () => {
    const [out] = validatePathComponents([`${'a'.repeat(254)} bbb`]); // no extension; the cut ends on the space
    assert.equal(out, `${'a'.repeat(254)}_`);
    assert.equal(bytes(out), 255);
  });
  it('honours a custom maxComponentBytes and refuses one below the minimum', () => {
    assert.equal(validatePathComponents(['a'.repeat(100)], { maxComponentBytes: 64 })[0].length, 64);
    assert.throws(() => validatePathComponents(['a'], { maxComponentBytes: MIN_COMPONENT_BYTES - 1 }), RangeError);
  });
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (c) => {
        let once: string;
        try {
          [once] = validatePathComponents([c]);
        } catch {
          return;
        }
        assert.equal(neutralise(once), once);
        assert.ok(bytes(once) <= 255);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe('resolveInside', () => {
  const root = path.resolve('/srv/downloads');
  it('joins safe components under the root', () => {
    assert.equal(resolveInside(root, ['album', 'CON.mp3']), path.join(root, 'album', 'CON_.mp3'));
    assert.equal(resolveInside('/srv/downloads/../downloads/', ['a']), path.join(root, 'a'));
    assert.equal(resolveInside('/', ['a']), path.resolve('/a'));
  });
  it('throws UnsafePathError for anything validatePathComponents refuses', () => {
    assert.throws(() => resolveInside(root, ['..', 'etc']), UnsafePathError);
    assert.throws(() => resolveInside(root, ['/etc']), UnsafePathError);
    assert.throws(() => resolveInside(root, []), UnsafePathError);
  });
  it('checks Windows rules with path.win32', () => {
    const w = path.win32;
    assert.equal(resolveInside('C:\\dl', ['dir', 'aux.txt'], { path: w }), 'C:\\dl\\dir\\aux_.txt');
    assert.throws(() => resolveInside('C:\\dl', ['D:evil'], { path: w }), UnsafePathError);
    assert.throws(() => resolveInside('C:\\dl', ['..\\x'], { path: w }), UnsafePathError);
  });
});

describe('path safety property (fast-check)', () => {
  const nasty = fc.constantFrom('', '.', '..', '...', '/', '\\', 'C:', 'c:x', 'CON', 'nul.txt', ' ', 'a/../..', '\u0000', '..\\..', '~', '%2e%2e');
  const component = fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme-ascii', maxLength: 300 }));
  const components = fc.array(component, { maxLength: 6 });
  for (const [flavour, p, root] of [
    ['posix', path.posix, '/srv/dl'],
    ['win32', path.win32, 'C:\\Users\\me\\dl'],
  ] as const) {
    it(`either throws UnsafePathError or resolves strictly inside root (${flavour})`, () => {
      fc.assert(
        fc.property(components, (cs) => {
          let full: string;
          try {
            full = resolveInside(root, cs, { path: p });
          } catch (e) {
            assert.ok(e instanceof UnsafePathError, String(e));
            return;
          }
          assert.ok(full.startsWith(root + p.sep), `${full} is not inside ${root}`);
          const parts = full.slice(root.length + 1).split(p.sep);
          assert.equal(parts.length, cs.length, 'every component stays one path level');
          for (const part of parts) assert.ok(part !== '' && part !== '.' && part !== '..' && bytes(part) <= 255);
        }),
        { seed: 1234, numRuns: 3000 },
      );
    });
  }
});
