/** `flashwright sim cmsis-dap` refuses what it cannot serve, as usage errors (exit 2) that say what to give instead. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, text: () => out.join('') + err.join('') };
}

describe('sim cmsis-dap usage errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--chip NAME .* or --gdb HOST:PORT/],
    [['--chip', 'stm32f103'], /No simulated chip 'stm32f103'.*nrf51, cortex-m4, kinetis-k64/s],
    [['--chip', 'nrf51', '--link', 'usb3'], /No modelled link 'usb3'.*v1-hid-fs, v2-bulk-fs, v2-bulk-hs/s],
    [['--chip', 'nrf51', '--tcp', '70000'], /--tcp must be a whole number from 0 to 65535/],
    [['--chip', 'nrf51', '--packet-count', '0'], /--packet-count must be a whole number from 1 to 255/],
    [['--chip', 'nrf51', '--packet-size', '32'], /--packet-size must be a whole number from 64 to 1024/],
    [['--gdb', 'localhost'], /--gdb 'localhost' is not HOST:PORT/],
    [['--gdb', '127.0.0.1:1', '--chip', 'kinetis-k64'], /--chip kinetis-k64 cannot be bridged.*nrf51, mps2-an385/s],
    [['--chip', 'nrf51', '--secured'], /--secured applies to kinetis-k64 only/],
    [['--gdb', '127.0.0.1:1', '--dormant'], /--secured and --dormant apply to the in-process chips/],
    [['--gdb', '127.0.0.1:1', '--execute'], /--execute applies to the in-process chips/],
  ];
  for (const [args, message] of cases) {
    it(`sim cmsis-dap ${args.join(' ') || '(nothing)'}`, async () => {
      const c = capture();
      expect(await runCli(['sim', 'cmsis-dap', ...args], c.io)).toBe(2);
      expect(c.text()).toMatch(message);
    });
  }
});
