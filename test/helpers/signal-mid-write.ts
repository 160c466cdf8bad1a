import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../../src/cli/main.ts');

/**
 * Runs the real CLI (`--json` among `args`) as its own process and sends it `signal` once its
 * first program progress line appears, so the signal lands mid-write. Resolves with everything
 * it printed on stdout, its exit code and whether the signal was sent at all.
 */
export async function writeAndSignal(args: readonly string[], signal: NodeJS.Signals): Promise<{ out: string; code: number | null; sent: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!sent && /"type":"progress","phase":"program"/.test(out)) { sent = true; child.kill(signal); }
  });
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  return { out, code, sent };
}
