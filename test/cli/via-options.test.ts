/** QA follow-up of issue 10: an option of another way in is a usage error naming the way in, never silently ignored. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

async function run(args: string[]) {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { out.push(t); }, isTty: false };
  const code = await runCli(args, io);
  return { code, text: out.join('') };
}

describe('way-in options given to a way in that does not take them', () => {
  it('--gdb-mode with --via cmsis-dap is refused before any probe is looked for', async () => {
    const r = await run(['info', '--via', 'cmsis-dap', '--probe', 'tcp:127.0.0.1:1', '--gdb-mode', 'vflash']);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain('--via cmsis-dap does not take --gdb-mode (an option of --via gdb)');
    expect(r.text).not.toMatch(/ECONNREFUSED|connect/i);
  });
  it('every foreign flag is named, --no-* flags included', async () => {
    const r = await run(['info', '--via', 'sim', '--target', 'stm32f103xb', '--baud', '9600', '--no-double-buffer', '--unprotect']);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(/--via sim does not take (--[a-z-]+, ){2}--[a-z-]+, so it would be ignored/);
    for (const flag of ['--baud', '--no-double-buffer', '--unprotect']) expect(r.text).toContain(flag);
  });
  it('options a way in shares are still taken: --algo and --no-double-buffer by cmsis-dap, --flexspi-option by sim', async () => {
    const sim = await run(['info', '--via', 'sim', '--target', 'mimxrt1021', '--flexspi-option', '0xC0000007']);
    expect(sim.code, sim.text).toBe(0);
    const dap = await run(['info', '--via', 'cmsis-dap', '--probe', 'tcp:127.0.0.1:1', '--no-double-buffer']);
    expect(dap.text).not.toContain('does not take');
  });
  it('--unsecure is taken by mcuboot and cmsis-dap, not by stm32-uart', async () => {
    const r = await run(['info', '--via', 'stm32-uart', '--port', '/dev/null', '--unsecure']);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain('--via stm32-uart does not take --unsecure (an option of --via mcuboot / mcuboot-hid / cmsis-dap)');
  });
});
