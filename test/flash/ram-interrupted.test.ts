/**
 * A RAM write that fails part-way (the CMSIS-DAP probe unplugged mid-transfer) leaves a true
 * record: nothing confirmed, and the failed call's range named as maybe programmed — the
 * memory really holds some of it.
 */
import { describe, expect, it } from 'vitest';
import { FlashInterruptedError } from '../../src/flash/errors.js';
import { writeImage } from '../../src/flash/engine.js';
import { MemoryImage } from '../../src/image/memory-image.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { createMemoryTarget, createSimDapProbe } from '../../src/sim/cmsis-dap/index.js';
import { findTarget } from '../../src/target/lookup.js';

describe('RAM write interrupted', () => {
  it('names the failed call as maybe programmed, and memory holds part of it', async () => {
    const target = createMemoryTarget({ chip: 'cortex-m4' });
    let connected = -1;
    const probe = createSimDapProbe({ target, faults: { onResponse: (i) => (connected >= 0 && i > connected + 200 ? 'unplug' : undefined) } });
    const p = new CmsisDapProgrammer({ open: async () => probe.device, description: 'sim', target: { ...findTarget('nrf51822')!, regions: [{ name: 'ram', kind: 'ram', start: 0x20000000, size: 0x20000 }] } });
    const info = await p.connect();
    connected = probe.stats.packetsOut;
    const data = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + 1) & 0xff);
    const err = await writeImage(p, info, MemoryImage.fromSegments([{ address: 0x20000000, data }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashInterruptedError);
    const progress = (err as FlashInterruptedError).progress;
    expect(progress.phase).toBe('write-ram');
    expect(progress.programmed).toEqual([]);
    expect(progress.maybeProgrammed).toEqual([{ address: 0x20000000, size: data.length }]);
    const held = target.core.peek(0x20000000, data.length);
    expect(held.subarray(0, 1024)).toEqual(data.subarray(0, 1024));
    expect(held).not.toEqual(data);
    await p.close().catch(() => undefined);
  });
});
