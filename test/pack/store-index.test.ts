/**
 * The store's device index (FILE.devices.json beside each installed pack): a new store (a new
 * command) resolves a part from it without parsing the .pdsc, to the same target a full parse
 * gives; an index that no longer matches its pack (the file changed) is not used; removing a
 * pack removes its index.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesFromZip } from '../../src/pack/files.js';
import { PackStore } from '../../src/pack/node-store.js';
import { openPack, packTarget } from '../../src/pack/pack.js';
import { Toolchain } from '../flash-algo/toolchain.js';
import { needs } from '../helpers/peers.js';
import { buildFlms, buildPack } from './fixture.js';

const peers = needs('arm-none-eabi-gcc');
const tc = peers.skip ? undefined : new Toolchain();
const dir = mkdtempSync(join(tmpdir(), 'fw-packindex-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); tc?.cleanup(); });

describe.skipIf(peers.skip)(peers.title('the installed packs\' device index'), () => {
  it('a new store resolves a part from the index, as a full parse does; a stale index is ignored; remove deletes it', () => {
    const zip = buildPack(buildFlms(tc!));
    const file = join(dir, 'in.pack');
    writeFileSync(file, zip);
    const store = join(dir, 'store');
    const added = new PackStore(store).add(file);
    new PackStore(store).getCatalog();
    const index = join(store, `${added.file}.devices.json`);
    expect(existsSync(index)).toBe(true);
    const full = packTarget(openPack(filesFromZip(zip, 'in.pack')), 'nRF51822-QFAA-R');
    const fromIndex = new PackStore(store).findTarget('nrf51822-qfaa-r')!;
    expect(fromIndex.target).toEqual(full.target);
    expect(fromIndex.defaults.map((a) => a.algorithm)).toEqual(full.defaults.map((a) => a.algorithm));
    // The index is what the part came from: a doctored one is believed only while its stamp matches the pack.
    const json = JSON.parse(readFileSync(index, 'utf8')) as { stamp: string; pdsc: { devices: Array<{ name: string; family: string }> } };
    for (const d of json.pdsc.devices) d.family = 'FROM THE INDEX';
    writeFileSync(index, JSON.stringify(json));
    expect(new PackStore(store).findTarget('nrf51822-qfaa-r')!.target.family).toBe('FROM THE INDEX / nRF51822');
    writeFileSync(index, JSON.stringify({ ...json, stamp: '1:2' }));
    expect(new PackStore(store).findTarget('nrf51822-qfaa-r')!.target.family).toBe('nRF51 Series / nRF51822');
    new PackStore(store).remove(added.id);
    expect(existsSync(index)).toBe(false);
  });
});
