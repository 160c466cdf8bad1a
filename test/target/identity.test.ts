/** Issue 10 §1: a --target that contradicts the device's identity is an error naming both, before anything changes. */
import { describe, expect, it } from 'vitest';
import { McubootProgrammer } from '../../src/programmer/mcuboot.js';
import { requireTarget } from '../../src/target/lookup.js';
import { uartRig } from '../mcuboot/helpers.js';
import { programmer, rig } from '../stm32/helpers.js';

describe('STM32: Get ID against --target', () => {
  it('an F407 description on an F103 (PID 0x410) is refused, naming both, and nothing changed (connect never unlocks)', async () => {
    const r = rig('stm32f103xb', { readProtected: true });
    const p = programmer(r, { target: requireTarget('stm32f407xg') });
    const err = await p.connect().catch((e) => e);
    expect(err.code).toBe('TARGET_MISMATCH');
    expect(err.message).toMatch(/--target STM32F407xG does not match the device: STM32F407xG has product ID 0x413 .*but the bootloader reports PID 0x410/);
    expect(err.hint).toMatch(/Leave out --target/);
    expect(r.sim.readProtected).toBe(true); // nothing changed: no mass erase
    await p.close();
  });
  it('a non-STM32 description is refused; a matching one, or none, is used', async () => {
    const r = rig('stm32f103xb');
    const err = await programmer(r, { target: requireTarget('mk64fn1m0') }).connect().catch((e) => e);
    expect(err.code).toBe('TARGET_MISMATCH');
    expect(err.message).toContain('is a NXP Kinetis K64, but an STM32 bootloader answered');
    const ok = await programmer(rig('stm32f103xb'), { target: requireTarget('stm32f103cb') }).connect();
    expect(ok.target.name).toMatch(/^STM32F103/);
    const own = await programmer(rig('stm32f103xb')).connect();
    expect(own.target.name).toBe('STM32F103xB');
  });
});

describe('MCUboot: properties against --target', () => {
  it('an i.MX RT description on a K64 bootloader is refused, naming both', async () => {
    const rig = uartRig('MK64FN1M0');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('mimxrt1021') });
    const err = await prog.connect().catch((e) => e);
    expect(err.code).toBe('TARGET_MISMATCH');
    expect(err.message).toMatch(/--target MIMXRT1021 does not match the device: MIMXRT1021 has no internal flash, but the bootloader reports 1 MiB of internal flash at 0x00000000/);
    await prog.close();
  });
  it('a K64 description on an i.MX RT flashloader is refused; an STM32 description on any MCUboot too', async () => {
    const rig = uartRig('MIMXRT1021');
    const prog = new McubootProgrammer({ transport: rig.transport, target: requireTarget('mk64fn1m0') });
    const err = await prog.connect().catch((e) => e);
    expect(err.code).toBe('TARGET_MISMATCH');
    expect(err.message).toContain('but the bootloader reports no internal flash');
    await prog.close();
    const k = uartRig('MK64FN1M0');
    const st = new McubootProgrammer({ transport: k.transport, target: requireTarget('stm32f103xb') });
    expect((await st.connect().catch((e) => e)).code).toBe('TARGET_MISMATCH');
    await st.close();
  });
  it('a K64 description on a K64 and a KV58 (flash at 0x10000000) on a K64 are told apart', async () => {
    const ok = uartRig('MK64FN1M0');
    const good = new McubootProgrammer({ transport: ok.transport, target: requireTarget('mk64fn1m0') });
    await expect(good.connect()).resolves.toBeDefined();
    await good.close();
    const k = uartRig('MK64FN1M0');
    const kv = new McubootProgrammer({ transport: k.transport, target: requireTarget('mkv58f1m0') });
    const err = await kv.connect().catch((e) => e);
    expect(err.message).toContain('has its flash at 0x10000000, but the bootloader reports 1 MiB of internal flash at 0x00000000');
    await kv.close();
  });
});
