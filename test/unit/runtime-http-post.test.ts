/**
 * The Node runtime's HTTP client sends a POST with its body and Content-Length (UPnP IGD's SOAP
 * actions go through it: src/nat/upnp-http.ts), and a GET without a body, as before.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeHttpClient } from '../../src/runtime/node/http.js';

describe('NodeHttpClient: POST', () => {
  it('sends the method, the body and its length; a GET stays a GET', async () => {
    const got: { method?: string; length?: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ method: req.method, length: req.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ctl`;
    try {
      const http = new NodeHttpClient();
      const body = new TextEncoder().encode('<s:Envelope>é</s:Envelope>');
      const res = await http.get({ url, method: 'POST', body, headers: { soapaction: '"x#y"' }, maxBodyBytes: 100 });
      assert.equal(res.status, 200);
      await http.get({ url, maxBodyBytes: 100 });
      assert.deepEqual(got, [
        { method: 'POST', length: String(body.length), body: '<s:Envelope>é</s:Envelope>' },
        { method: 'GET', length: undefined, body: '' },
      ]);
    } finally {
      server.close();
    }
  });
});
