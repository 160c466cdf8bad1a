/** Bad option values for the MCUboot ways in, `imxrt` and `sim mcuboot`: each a usage error (exit 2) with a clear message, before any device is opened. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

function capture(): Io & { text: () => string } {
  let buf = '';
  return { out: (t) => { buf += t; }, err: (t) => { buf += t; }, isTty: false, text: () => buf };
}

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const io = capture();
  const code = await runCli(args, io);
  return { code, text: io.text() };
}

/** Never created: every case is refused before the pty is made. */
const PTY = '/nonexistent/flashwright-test-pty';
const NO_PORT = '/nonexistent/flashwright-test-port';
const uart = ['info', '--via', 'mcuboot', '--port', NO_PORT];
const hid = ['info', '--via', 'mcuboot-hid'];

describe('--via mcuboot / mcuboot-hid option values', () => {
  it.each([
    ['--max-packet below 32', [...uart, '--max-packet', '16'], /--max-packet '16' must be 32…65535/],
    ['--max-packet above 65535', [...uart, '--max-packet', '70000'], /--max-packet '70000' must be 32…65535/],
    ['--baud not a number', [...uart, '--baud', 'fast'], /--baud 'fast' is not a baud rate/],
    ['--baud too low', [...uart, '--baud', '100'], /--baud '100' is not a baud rate/],
    ['--vid beyond 16 bits', [...hid, '--vid', '0x12345'], /--vid '0x12345' is not a 16-bit USB ID/],
    ['--pid not a number', [...hid, '--pid', 'zz'], /--pid 'zz' is not a 16-bit USB ID/],
    ['--flexspi-option with a wrong tag', [...uart, '--flexspi-option', '0x40000007'], /--flexspi-option: 0x40000007 is not a FlexSPI NOR option word: its tag is 0x4, not 0xC/],
    ['--flexspi-option word count', [...uart, '--flexspi-option', '0xC1000007'], /Option word 0xC1000007 announces 1 extra word\(s\) but 0 were given/],
    ['--flexspi-option undefined field', [...uart, '--flexspi-option', '0xC0000009'], /max frequency \[3:0\] = 9/],
  ])('%s', async (_name, args, message) => {
    const r = await run(args);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(message);
  });
});

describe('imxrt option values', () => {
  it.each([
    ['image --frequency abc', ['imxrt', 'image', 'app.hex', '--part', 'rt1021', '-o', 'x.bin', '--frequency', 'abc'], /--frequency 'abc' is not a FlexSPI clock setting/],
    ['image --frequency 0', ['imxrt', 'image', 'app.hex', '--part', 'rt1021', '-o', 'x.bin', '--frequency', '0'], /--frequency '0' is not a FlexSPI clock setting/],
    ['image --flash-size', ['imxrt', 'image', 'app.hex', '--part', 'rt1021', '-o', 'x.bin', '--flash-size', 'big'], /--flash-size 'big' is not a size/],
    ['option --frequency abc', ['imxrt', 'option', '--frequency', 'abc'], /--frequency 'abc' is not a FlexSPI clock setting.*\n.*30, 50, 60, 75, 80, 100, 133, 166/],
    ['option --query-pads 3', ['imxrt', 'option', '--query-pads', '3'], /--query-pads must be 1, 4 or 8/],
    ['option --command-pads 2', ['imxrt', 'option', '--command-pads', '2'], /--command-pads must be 1, 4 or 8/],
    ['option --explain with an undefined frequency code', ['imxrt', 'option', '--explain', '0xC0000009'], /0xC0000009 has a field the flashloader does not define: max frequency \[3:0\] = 9/],
    ['option --explain with an undefined detection type', ['imxrt', 'option', '--explain', '0xC0500007'], /device detection \[23:20\] = 5/],
  ])('%s', async (_name, args, message) => {
    const r = await run(args);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/NaN/);
  });
});

describe('sim mcuboot option values', () => {
  it.each([
    ['unknown --chip', ['sim', 'mcuboot', '--chip', 'NOPE123', '--pty', PTY], /No simulated MCUboot chip 'NOPE123'/],
    ['--max-packet too small', ['sim', 'mcuboot', '--chip', 'MK64FN1M0', '--pty', PTY, '--max-packet', '8'], /--max-packet 8 is outside 32…/],
    ['--max-packet not a number', ['sim', 'mcuboot', '--chip', 'MK64FN1M0', '--pty', PTY, '--max-packet', 'lots'], /--max-packet lots is outside 32…/],
    ['--flash-resident on a chip without internal flash', ['sim', 'mcuboot', '--chip', 'MIMXRT1021', '--pty', PTY, '--flash-resident', '48K'], /--flash-resident needs internal flash, and MIMXRT1021 has none/],
    ['--flash-resident as large as the flash', ['sim', 'mcuboot', '--chip', 'MK64FN1M0', '--pty', PTY, '--flash-resident', '1M'], /does not leave any/],
  ])('%s', async (_name, args, message) => {
    const r = await run(args);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(message);
  });
});
