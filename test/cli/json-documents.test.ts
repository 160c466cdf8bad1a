/**
 * Issue 9 item 1 (CLI side): a command that prints ONE JSON document (plan, info, reset
 * --json) keeps the way in's events off stdout — the document is the whole of stdout, its
 * warnings go to stderr as JSON lines — while a streaming command (write, erase, read, verify
 * --json) prints every event line, the connect phase first, then its result line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { encodeImage } from '../../src/image/formats.js';
import { MemoryImage } from '../../src/image/memory-image.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'fw-cli-json-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, out: out.join(''), err: err.join('') };
}

type Line = { type: string; event?: { type: string; phase?: string } };
const lines = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Line);
const connectEvents = (ls: Line[]) => ls.filter((l) => l.type === 'event' && l.event?.phase === 'connect').map((l) => l.event!.type);

function hexImage(): string {
  const d = new Uint8Array(0x600).fill(0x22);
  new DataView(d.buffer).setUint32(0, 0x20005000, true);
  new DataView(d.buffer).setUint32(4, 0x08000041, true);
  const p = join(dir, 'app.hex');
  writeFileSync(p, encodeImage(MemoryImage.fromSegments([{ address: 0x08000000, data: d }]), 'hex'));
  return p;
}

describe('--json: one document, or one stream', () => {
  const sim = (state: string) => ['--via', 'sim', '--target', 'stm32f103xb', '--sim-state', join(dir, state)];

  it('plan, info and reset print exactly one JSON document on stdout', async () => {
    const image = hexImage();
    const docs = [
      await run(['plan', image, ...sim('doc.json'), '--json']),
      await run(['reset', ...sim('doc.json'), '--json']),
    ];
    for (const d of docs) {
      expect(d.code, d.err).toBe(0);
      expect(d.out.trim().split('\n'), d.out).toHaveLength(1);
      expect(JSON.parse(d.out)).not.toHaveProperty('event');
    }
    expect(JSON.parse(docs[0]!.out)).toMatchObject({ type: 'plan' });
    expect(JSON.parse(docs[1]!.out)).toMatchObject({ type: 'result', command: 'reset' });
    const info = await run(['info', ...sim('doc.json'), '--json']);
    expect(info.code, info.err).toBe(0);
    expect(JSON.parse(info.out)).toMatchObject({ type: 'device', target: 'STM32F103xB' }); // the whole of stdout parses as one value
  });

  it('write, verify, read and erase stream the connect phase first, then the result line', async () => {
    const image = hexImage();
    const streams = [
      await run(['write', image, ...sim('stream.json'), '--json']),
      await run(['verify', image, ...sim('stream.json'), '--json']),
      await run(['read', '0x08000000', '16', join(dir, 'r.bin'), ...sim('stream.json'), '--json']),
      await run(['erase', '0x08000400', '1K', ...sim('stream.json'), '--json']),
    ];
    for (const s of streams) {
      expect(s.code, s.err).toBe(0);
      const ls = lines(s.out);
      expect(connectEvents(ls)).toEqual(['start', 'finish']);
      expect(ls[0]).toMatchObject({ type: 'event', event: { type: 'start', phase: 'connect' } });
      expect(ls.at(-1)!.type).toBe('result');
    }
  });

  it('without --json the connect phase is said on stderr like any other phase', async () => {
    const r = await run(['reset', ...sim('text.json')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^connect: Connecting to the simulated STM32F103xB$/m);
    expect(r.err).toMatch(/^connect: done in \d+ ms$/m);
  });
});
