/**
 * UPnP's HTTP over the runtime seam (src/nat/upnp-http.ts): the SOAP call goes as a POST with
 * its body and no redirects; an answer past the cap is a NatProtocolError; a gateway that never
 * answers is ETIMEDOUT after the requester's limit (on the runtime clock), not "cancelled".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpRequester } from '../../src/nat/upnp-http.js';
import { NatProtocolError } from '../../src/nat/errors.js';
import { HttpBodyTooLarge, NetworkError, type HttpClient, type HttpRequest } from '../../src/runtime/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('createHttpRequester', () => {
  it('POSTs the body as UTF-8, follows no redirect, and returns the answer as text', async () => {
    const seen: HttpRequest[] = [];
    const http: HttpClient = { get: async (r) => (seen.push(r), { status: 200, body: new TextEncoder().encode('<ok>é</ok>') }) };
    const req = createHttpRequester(http, new FakeClock());
    const a = await req({ url: 'http://10.0.0.1:5000/ctl', method: 'POST', headers: { soapaction: '"x#y"' }, body: '<é/>', maxBytes: 100 });
    assert.deepEqual(a, { status: 200, body: '<ok>é</ok>' });
    assert.equal(seen[0].method, 'POST');
    assert.deepEqual([...(seen[0].body ?? [])], [...new TextEncoder().encode('<é/>')]);
    assert.equal(seen[0].maxRedirects, 0);
    assert.equal(seen[0].maxBodyBytes, 100);
    assert.equal(seen[0].headers?.soapaction, '"x#y"');
  });

  it('refuses an answer past maxBytes with a NatProtocolError', async () => {
    const http: HttpClient = { get: async (r) => { throw new HttpBodyTooLarge(r.url, r.maxBodyBytes); } };
    await assert.rejects(createHttpRequester(http, new FakeClock())({ url: 'http://10.0.0.1/d.xml', method: 'GET', maxBytes: 10 }), NatProtocolError);
  });

  it('gives up after its limit on the runtime clock, as ETIMEDOUT', async () => {
    const clock = new FakeClock();
    // A client that answers only when cancelled, as the runtimes do.
    const http: HttpClient = {
      get: (r) => new Promise((_, reject) => r.signal?.addEventListener('abort', () => reject(new NetworkError('ECANCELED', 'cancelled')))),
    };
    const p = createHttpRequester(http, clock, 5000)({ url: 'http://10.0.0.1/d.xml', method: 'GET', maxBytes: 10 });
    clock.advance(4999);
    clock.advance(1);
    await assert.rejects(p, (e: unknown) => e instanceof NetworkError && e.code === 'ETIMEDOUT');
  });
});
