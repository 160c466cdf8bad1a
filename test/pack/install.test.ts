/**
 * `pack install` / `pack update` against a local HTTP server on 127.0.0.1 (port 0) serving a
 * test index.pidx, the vendor .pdsc and two releases of the test pack: the newest or a named
 * version installed, update moving 1.0.0 → 1.2.0, and downloads refused on a wrong SHA-256,
 * a truncated body, a pack that is not the one asked for, an unknown name or version.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildFlms, buildPack, PDSC } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-packhttp-'));
const saved = { dir: process.env.FLASHWRIGHT_PACK_DIR, index: process.env.FLASHWRIGHT_PACK_INDEX };
const files = new Map<string, Uint8Array>();
const requests: string[] = [];
let server: Server;
let base = '';
let truncate = false;

const V100 = PDSC.replace('<release version="1.2.0">Second</release>', '');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
function pidx(extra = ''): string {
  return `<?xml version="1.0"?>\n<index schemaVersion="1.1.0"><vendor>Test</vendor><url>${base}/</url><pindex>\n` +
    `  <pdsc url="${base}/packs/" vendor="Flashwright" name="TestNRF51_DFP" version="1.2.0"${extra}/>\n` +
    `  <pdsc url="${base}/packs/" vendor="Other" name="Thing_DFP" version="0.1.0"/>\n</pindex></index>\n`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    if (!body) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-length': String(body.length) });
    // A truncated download: the body stops short of its content-length.
    if (truncate && req.url?.endsWith('.pack')) { res.write(body.subarray(0, body.length >> 1)); res.destroy(); return; }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.FLASHWRIGHT_PACK_DIR = join(dir, 'store');
  process.env.FLASHWRIGHT_PACK_INDEX = `${base}/index.pidx`;
  if (tc) {
    const flms = buildFlms(tc);
    files.set('/packs/Flashwright.TestNRF51_DFP.1.2.0.pack', buildPack(flms));
    files.set('/packs/Flashwright.TestNRF51_DFP.1.0.0.pack', buildPack(flms, V100));
    files.set('/packs/Flashwright.TestNRF51_DFP.pdsc', new TextEncoder().encode(PDSC));
    files.set('/index.pidx', new TextEncoder().encode(pidx(` sha256="${sha(files.get('/packs/Flashwright.TestNRF51_DFP.1.2.0.pack')!)}"`)));
  }
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  for (const [k, v] of [['FLASHWRIGHT_PACK_DIR', saved.dir], ['FLASHWRIGHT_PACK_INDEX', saved.index]] as const) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  rmSync(dir, { recursive: true, force: true });
  tc?.cleanup();
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (x: string) => { out.push(x); }, err: (x: string) => { err.push(x); }, isTty: false });
  return { code, out: out.join(''), err: err.join('') };
}

describe.skipIf(peers.skip)(peers.title('pack install and update from a pack index over HTTP'), () => {
  it('installs a named version, then update installs the newest; progress is shown and the parts resolve', async () => {
    const a = await cli(['pack', 'install', 'flashwright.testnrf51_dfp@1.0.0']);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain('Installed Flashwright.TestNRF51_DFP 1.0.0');
    expect(a.err).toContain('download: Flashwright.TestNRF51_DFP.1.0.0.pack');
    expect(requests).toEqual(['/index.pidx', '/packs/Flashwright.TestNRF51_DFP.pdsc', '/packs/Flashwright.TestNRF51_DFP.1.0.0.pack']);
    expect((await cli(['targets', 'show', 'nrf51822_xxaa'])).out).toContain('pack Flashwright.TestNRF51_DFP 1.0.0');
    const u = await cli(['pack', 'update']);
    expect(u.code, u.err).toBe(0);
    expect(u.out).toContain('Flashwright.TestNRF51_DFP: 1.0.0 → 1.2.0');
    expect((await cli(['pack', 'list'])).out).toMatch(/Flashwright\.TestNRF51_DFP\s+1\.2\.0/);
    expect((await cli(['pack', 'list'])).out).not.toMatch(/1\.0\.0/);
    expect((await cli(['pack', 'update'])).out).toContain('Flashwright.TestNRF51_DFP 1.2.0 is the newest.');
    await cli(['pack', 'remove', 'Flashwright.TestNRF51_DFP']);
  });

  it('shows a progress bar on a terminal', async () => {
    const err: string[] = [];
    const code = await runCli(['pack', 'install', 'Flashwright.TestNRF51_DFP'], { out: () => undefined, err: (x: string) => { err.push(x); }, isTty: true });
    expect(code).toBe(0);
    expect(err.join('')).toMatch(/\rdownload Flashwright\.TestNRF51_DFP\.1\.2\.0\.pack \[#{30}\] [\d.]+ KiB of [\d.]+ KiB\n/);
    await cli(['pack', 'remove', 'Flashwright.TestNRF51_DFP']);
  });

  it('refuses a download whose SHA-256 differs from the index, a truncated one, and one that is another pack', async () => {
    const good = files.get('/index.pidx')!;
    files.set('/index.pidx', new TextEncoder().encode(pidx(` sha256="${'0'.repeat(64)}"`)));
    const r1 = await cli(['pack', 'install', 'Flashwright.TestNRF51_DFP']);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/does not match the index's SHA-256/);
    files.set('/index.pidx', good);
    truncate = true;
    const r2 = await cli(['pack', 'install', 'Flashwright.TestNRF51_DFP']);
    truncate = false;
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/Downloading .*1\.2\.0\.pack failed/);
    files.set('/packs/Other.Thing_DFP.pdsc', new TextEncoder().encode(PDSC.replace(/<releases>[\s\S]*<\/releases>/, '<releases><release version="0.1.0">x</release></releases>')));
    files.set('/packs/Other.Thing_DFP.0.1.0.pack', files.get('/packs/Flashwright.TestNRF51_DFP.1.0.0.pack')!);
    const r3 = await cli(['pack', 'install', 'Other.Thing_DFP']);
    expect(r3.err).toMatch(/holds Flashwright\.TestNRF51_DFP 1\.0\.0, not Other\.Thing_DFP 0\.1\.0/);
    expect((await cli(['pack', 'list'])).out).toMatch(/No packs installed/);
  });

  it('names an unknown pack (with the near names) and an unknown version (with the releases)', async () => {
    const r1 = await cli(['pack', 'install', 'Flashwright.TestNRF51']);
    expect(r1.err).toMatch(/lists no pack Flashwright\.TestNRF51\./);
    expect(r1.err).toMatch(/Did you mean Flashwright\.TestNRF51_DFP/);
    const r2 = await cli(['pack', 'install', 'Flashwright.TestNRF51_DFP@9.9.9']);
    expect(r2.err).toMatch(/lists no release 9\.9\.9 .*\n.*Releases: 1\.2\.0, 1\.0\.0/);
    const r3 = await cli(['pack', 'install', 'not a name']);
    expect(r3.err).toMatch(/is not a pack name/);
    const r4 = await cli(['pack', 'install', 'Flashwright.TestNRF51_DFP', '--index-url', `${base}/missing.pidx`]);
    expect(r4.err).toMatch(/missing\.pidx failed: the server answered 404/);
  });
});
