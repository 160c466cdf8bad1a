/**
 * CmsisDapProgrammer end to end over the scripted probe: connect reports the probe, DP, APs
 * and core; RAM images are written and started without an algorithm; flash without one is
 * refused in the plan (unconfigured) and by the programmer; a secured Kinetis is reported
 * and explained through the MDM-AP, and its mass erase is a change the plan must ask for.
 * Also the CLI over TCP: `info --via cmsis-dap --probe tcp:HOST:PORT`.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { DapTcpDecoder, encodeDapTcpFrame } from '../../src/link/dap-tcp.js';
import { CmsisDapProgrammer } from '../../src/programmer/cmsis-dap.js';
import { findTarget } from '../../src/target/lookup.js';
import { FakeProbe, type FakeProbeOptions } from './fake-probe.js';

function programmer(options: FakeProbeOptions = {}, extra: Partial<ConstructorParameters<typeof CmsisDapProgrammer>[0]> = {}) {
  const probe = new FakeProbe(options);
  const p = new CmsisDapProgrammer({ open: async () => probe, description: 'fake', ...extra });
  return { probe, p };
}

describe('CmsisDapProgrammer', () => {
  it('connects and describes probe, debug port, access ports and core', async () => {
    const { p } = programmer();
    const info = await p.connect();
    expect(info.details).toMatchObject({ probeProduct: 'Fake CMSIS-DAP', packetSize: 64, packetCount: 4, inFlight: 4, dpidr: '0x2BA01477', core: 'Cortex-M4 r0p1', halted: true });
    expect(info.details!.accessPorts).toEqual(['AP 0: AHB-AP (AHB3) (IDR 0x24770011)']);
    expect(info.ids.cpuid).toBe('0x410FC241');
    await p.close();
  });

  it('writes RAM directly, reads it back at MEM-AP speed, and starts a RAM image from its vector table', async () => {
    const { p, probe } = programmer();
    await p.connect();
    const img = new Uint8Array(4096).map((_, i) => i & 0xff);
    new DataView(img.buffer).setUint32(0, 0x20008000, true);
    new DataView(img.buffer).setUint32(4, 0x20000101, true);
    await p.writeMemory(0x20000000, img);
    expect(await p.readMemory(0x20000000, 4096)).toEqual(img);
    await p.run(0x20000000);
    expect(probe.regs[13]).toBe(0x20008000);
    expect(probe.regs[15]).toBe(0x20000100);
    expect(probe.halted).toBe(false);
    await p.close();
  });

  it('without an algorithm, flash is unconfigured in the plan and programming it is refused', async () => {
    const { p } = programmer({}, { target: findTarget('nrf51822') });
    const info = await p.connect();
    expect(info.unconfiguredRegions?.length).toBeGreaterThan(0);
    await expect(p.programFlash(0, new Uint8Array(1024))).rejects.toThrow(/without a flash algorithm/);
    await p.close();
  });

  it('reports a secured Kinetis through the MDM-AP and explains it; reads are refused; mass erase only as a change', async () => {
    const { p, probe } = programmer({ kinetis: { secured: true } });
    const info = await p.connect();
    expect(info.protection).toMatchObject({ readProtected: true, description: expect.stringMatching(/Kinetis secured.*mass erase enabled/) });
    expect(String(info.details!.security)).toMatch(/mass erase through the MDM-AP \(--unsecure\) erases ALL flash/);
    expect(probe.massErases).toBe(0); // connect never erases
    await expect(p.readMemory(0, 16)).rejects.toMatchObject({ code: 'KINETIS_SECURED' });
    expect(p.changes).toEqual(['mass-erase-unsecure']);
    const change = p.describeChange('mass-erase-unsecure', info)!;
    expect(change).toMatchObject({ stage: 'unlock', destroys: 'mass erase through MDM-AP: all flash lost' });
    await p.applyChange(change);
    expect(probe.massErases).toBe(1);
    probe.memory.set(0x20000000, 0x5a);
    expect((await p.readMemory(0x20000000, 1))[0]).toBe(0x5a);
    await p.close();
  });

  it('an unsecured Kinetis offers no change; a mass-erase-disabled one explains it cannot be unsecured that way', async () => {
    const open = programmer({ kinetis: { secured: false } });
    const info = await open.p.connect();
    expect(open.p.describeChange('mass-erase-unsecure', info)).toBeUndefined();
    await open.p.close();
    const locked = programmer({ kinetis: { secured: true, massEraseEnabled: false } });
    const i2 = await locked.p.connect();
    expect(String(i2.details!.security)).toMatch(/permanently locked/);
    await expect(locked.p.applyChange(locked.p.describeChange('mass-erase-unsecure', i2)!)).rejects.toMatchObject({ code: 'KINETIS_MASS_ERASE_DISABLED' });
    expect(locked.probe.massErases).toBe(0);
  });

  it('connects under reset: nRESET held through the wake-up, released with the reset vector caught', async () => {
    const { p, probe } = programmer({}, { connectUnderReset: true });
    await p.connect();
    const pins = probe.sent.filter((s) => s[0] === 0x10).map((s) => s[1]);
    expect(pins[0]).toBe(0x00); // asserted first
    expect(pins).toContain(0x80); // released later
    expect(probe.sent.findIndex((s) => s[0] === 0x10 && s[1] === 0)).toBeLessThan(probe.sent.findIndex((s) => s[0] === 0x12));
    expect(probe.halted).toBe(true);
    await p.close();
  });
});

describe('CLI --via cmsis-dap over TCP', () => {
  it('info prints the probe and core; a wrong --speed is a usage error', async () => {
    const probe = new FakeProbe();
    const server = createServer((sock) => {
      const dec = new DapTcpDecoder(1);
      probe.onPacket((pk) => sock.write(encodeDapTcpFrame(pk, 2)));
      sock.on('data', (c) => { for (const f of dec.push(new Uint8Array(c))) void probe.write(f); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false };
    try {
      const { port } = server.address() as AddressInfo;
      const code = await runCli(['info', '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${port}`, '--json'], io);
      expect(err.join('')).toBe('');
      expect(code).toBe(0);
      expect(out.join('')).toMatch(/Fake CMSIS-DAP/);
      expect(out.join('')).toMatch(/Cortex-M4/);
      // info halted the core to look at it and lets it run again, as it found it.
      expect(probe.halted).toBe(false);
      expect(await runCli(['reset', '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${port}`, '--halt'], io)).toBe(0);
      expect(out.join('')).toMatch(/core is halted at the reset vector/);
      expect(probe.resets).toBe(1);
      expect(probe.halted).toBe(true);
      expect(await runCli(['reset', '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${port}`], io)).toBe(0);
      expect(probe.resets).toBe(2);
      expect(probe.halted).toBe(false);
      expect(await runCli(['info', '--via', 'cmsis-dap', '--probe', `tcp:127.0.0.1:${port}`, '--speed', 'fast'], io)).toBe(2);
      expect(err.join('')).toMatch(/--speed 'fast'/);
    } finally {
      server.close();
    }
  });
});

describe('CLI --via cmsis-dap --unsecure on a secured Kinetis (scripted probe over TCP)', () => {
  async function serve(probe: FakeProbe) {
    const server = createServer((sock) => {
      const dec = new DapTcpDecoder(1);
      probe.onPacket((pk) => sock.write(encodeDapTcpFrame(pk, 2)));
      sock.on('data', (c) => { for (const f of dec.push(new Uint8Array(c))) void probe.write(f); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, probe: `tcp:127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
  const cap = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, text: () => out.join('') + err.join('') };
  };

  it('info and plan leave it secured; write --unsecure mass-erases through the MDM-AP, as the plan says', async () => {
    const fake = new FakeProbe({ kinetis: { secured: true } });
    const { server, probe } = await serve(fake);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'fw-dap-'));
    const bin = join(dir, 'ram.bin');
    writeFileSync(bin, Uint8Array.from({ length: 256 }, (_, i) => i));
    try {
      const i = cap();
      expect(await runCli(['info', '--via', 'cmsis-dap', '--probe', probe, '--unsecure'], i.io), i.text()).toBe(0);
      expect(i.text()).toMatch(/secured/i);
      expect(fake.massErases).toBe(0);
      const plain = cap();
      expect(await runCli(['write', bin, '--base', '0x20000000', '--via', 'cmsis-dap', '--probe', probe], plain.io)).not.toBe(0);
      expect(fake.massErases).toBe(0);
      const w = cap();
      expect(await runCli(['write', bin, '--base', '0x20000000', '--via', 'cmsis-dap', '--probe', probe, '--unsecure'], w.io), w.text()).toBe(0);
      expect(w.text()).toMatch(/mass erase through MDM-AP: all flash lost/);
      expect(fake.massErases).toBe(1);
      expect(fake.memory.get(0x200000ff)).toBe(0xff);
    } finally {
      server.close();
    }
  });
});
