/**
 * The web UI's built files (dist/web by default). No token is needed for these (the page
 * reads it from its #fragment) but the Host check still applies (server.ts). Paths are
 * resolved inside the root only: `..`, encoded slashes, NUL bytes and symlinks that lead out
 * are refused.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import mime from 'mime';

const NOT_BUILT = 'The Shoal web UI has not been built yet, so there is no page to show here.\n'
  + 'Build it (see README.md), then reload. The HTTP API under /api works without it (docs/api.md).\n';

export function registerStaticRoutes(app: FastifyInstance, webRoot: string): void {
  const root = resolve(webRoot);

  // GET and HEAD explicitly, so a HEAD answer keeps the file's Content-Length.
  app.route({ method: ['GET', 'HEAD'], url: '/*', config: { public: true }, handler: async (req, reply) => {
    const urlPath = req.url.split('?', 1)[0];
    if (urlPath === '/api' || urlPath.startsWith('/api/')) return reply.code(404).send({ error: 'no such endpoint' });
    const file = await findFile(root, urlPath === '/' ? '/index.html' : urlPath);
    if (file === undefined) {
      if (urlPath === '/' || urlPath === '/index.html') return notBuilt(reply, root);
      return reply.code(404).send({ error: 'not found' });
    }
    reply.header('Content-Type', contentType(file.path));
    reply.header('Content-Length', String(file.size));
    reply.header('Cache-Control', 'no-cache');
    securityHeaders(reply);
    if (req.method === 'HEAD') return reply.send();
    return reply.send(createReadStream(file.path));
  } });
}

async function notBuilt(reply: FastifyReply, root: string): Promise<FastifyReply> {
  // Only say "not built" when the root really is missing its page; anything else is a plain 404.
  if (await isFile(resolve(root, 'index.html'))) return reply.code(404).send({ error: 'not found' });
  securityHeaders(reply);
  return reply.code(200).header('Content-Type', 'text/plain; charset=utf-8').send(NOT_BUILT);
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY'); // the page holds the token: no framing by other sites
  reply.header('Referrer-Policy', 'no-referrer');
}

function contentType(path: string): string {
  const type = mime.getType(path) ?? 'application/octet-stream';
  return /^text\/|javascript|json|svg|xml/.test(type) ? `${type}; charset=utf-8` : type;
}

async function findFile(root: string, urlPath: string): Promise<{ path: string; size: number } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const candidate = resolve(root, '.' + decoded);
  if (!inside(root, candidate)) return undefined;
  try {
    const real = await realpath(candidate);
    if (!inside(await realpath(root), real)) return undefined;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : undefined;
  } catch {
    return undefined;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
