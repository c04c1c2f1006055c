/**
 * Expected network errors carry no stack trace (capturing one was 1.3% of `shoal sim nat`),
 * but keep what a user and the code read: name, message, code, cause, class.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, ShoalError } from '../../src/errors.js';
import { NetworkError } from '../../src/runtime/types.js';

describe('error stacks', () => {
  it('a NetworkError has no stack frames but keeps name, message, code and cause', () => {
    const cause = new Error('socket said no');
    const e = new NetworkError('ECONNREFUSED', '10.0.0.2:6881: connection refused', { cause });
    assert.equal(e.stack, 'NetworkError: 10.0.0.2:6881: connection refused');
    assert.deepEqual([e.name, e.code, e.message, e.cause], ['NetworkError', 'ECONNREFUSED', '10.0.0.2:6881: connection refused', cause]);
    assert.ok(e instanceof ShoalError && e instanceof Error);
  });

  it('other Shoal errors keep their stack, and the stack limit is left as it was', () => {
    const limit = Error.stackTraceLimit;
    new NetworkError('ECONNRESET', 'reset');
    assert.equal(Error.stackTraceLimit, limit);
    const e = new InputError('bad input');
    assert.match(e.stack ?? '', /\n\s+at /, 'an InputError has frames');
    assert.equal(new ShoalError('x', { stack: false }).stack, 'ShoalError: x');
  });
});
