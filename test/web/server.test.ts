// `flashwright web`'s static server: serves the folder, 404s what is not there, never a file outside it.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../src/cli/commands/web.js';

describe('flashwright web server', () => {
  let dir: string;
  let server: WebServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-web-srv-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><p>hi</p>');
    writeFileSync(join(dir, 'app.js'), 'export {}');
    writeFileSync(join(tmpdir(), 'fw-outside-secret.txt'), 'secret');
    server = await startWebServer(dir, 0);
  });
  afterAll(async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); });

  it('binds 127.0.0.1 on a free port and serves index.html with its type', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await fetch(server.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(await r.text()).toContain('hi');
    expect((await fetch(server.url + 'app.js')).headers.get('content-type')).toContain('text/javascript');
  });

  it('404 for a missing file, no way out of the folder', async () => {
    expect((await fetch(server.url + 'nope.js')).status).toBe(404);
    for (const path of ['../fw-outside-secret.txt', '%2e%2e/fw-outside-secret.txt', '..%2ffw-outside-secret.txt']) {
      const r = await fetch(server.url + path);
      expect(await r.text()).not.toContain('secret');
    }
  });

  it('a port in use is a clear error', async () => {
    await expect(startWebServer(dir, server.port)).rejects.toThrow(/Cannot serve on 127\.0\.0\.1:\d+.*in use|EADDRINUSE/);
  });
});
