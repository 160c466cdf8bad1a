/** `--via gdb` option checking: bad values are usage errors (exit 2) before any connection. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); }, isTty: false }, text: () => out.join('') + err.join('') };
}

async function run(...args: string[]) {
  const c = captureIo();
  // Port 9 (discard) on localhost: nothing must try to connect when an option is bad.
  const code = await runCli(['info', '--via', 'gdb', ...args], c.io);
  return { code, text: c.text() };
}

describe('--via gdb options', () => {
  it.each(['abc', '-5', '1.5', '0', '5k'])('refuses --gdb-timeout %s as a usage error', async (value) => {
    const r = await run('--gdb', '127.0.0.1:9', `--gdb-timeout=${value}`);
    expect(r.code).toBe(2);
    expect(r.text).toContain(`--gdb-timeout '${value}' is not a positive whole number of milliseconds`);
  });

  it('refuses an unknown --gdb-mode with a hint', async () => {
    const r = await run('--gdb', '127.0.0.1:9', '--gdb-mode', 'bogus');
    expect(r.code).toBe(2);
    expect(r.text).toContain("--gdb-mode 'bogus' is not one of auto, algorithm, vflash, ram");
    expect(r.text).toContain('Leave it at auto');
  });

  it('refuses a missing --algo file as a usage error (exit 2)', async () => {
    const r = await run('--gdb', '127.0.0.1:9', '--algo', '/nonexistent/algo.flm');
    expect(r.code).toBe(2);
    expect(r.text).toContain('The flash algorithm file /nonexistent/algo.flm does not exist.');
  });

  it('needs --gdb or --gdb-serial', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.text).toContain('--via gdb needs --gdb HOST:PORT');
  });

  it('refuses a missing module for algo import-pyocd and algo info as usage errors', async () => {
    const a = captureIo();
    expect(await runCli(['algo', 'import-pyocd', '/nonexistent/target_X.py'], a.io)).toBe(2);
    const b = captureIo();
    expect(await runCli(['algo', 'info', '/nonexistent/x.flm'], b.io)).toBe(2);
  });
});
