/**
 * Runs Debian's unmodified OpenOCD 0.12 against the simulated CMSIS-DAP probe: our hidapi
 * stand-in (test/fixtures/hidapi-tcp/hidapi_tcp.c, built here with gcc) is LD_PRELOADed in
 * place of libhidapi-hidraw.so.0 and forwards OpenOCD's HID reports to the probe's TCP port.
 * Every OpenOCD is killed by its own pid when the test ends (or the process exits).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM_SOURCE = fileURLToPath(new URL('../fixtures/hidapi-tcp/hidapi_tcp.c', import.meta.url));

/** Builds the stand-in library into a fresh temp dir; returns its path and a cleanup. */
export function buildHidapiShim(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'fw-hidapi-'));
  const path = join(dir, 'libhidapi-hidraw-tcp.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror', '-o', path, SHIM_SOURCE]);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export interface OpenOcdRun {
  code: number | null;
  output: string;
}

export interface OpenOcdOptions {
  shim: string;
  /** TCP port of the simulated probe. */
  dapPort: number;
  commands: string[];
  /** GDB port ('disabled' unless given). */
  gdbPort?: number;
  timeoutMs?: number;
  /** Ask the stand-in to report reads, so the probe's modelled clock follows OpenOCD exactly. */
  ack?: boolean;
  /** Load target/nrf51.cfg (default true); false: the commands set the target up. */
  nrf51Config?: boolean;
  /** Wire protocol OpenOCD selects (default swd). */
  transport?: 'swd' | 'jtag';
}

function args(o: OpenOcdOptions): string[] {
  return [
    '-f', 'interface/cmsis-dap.cfg', '-c', 'cmsis_dap_backend hid', '-c', `transport select ${o.transport ?? 'swd'}`, ...(o.nrf51Config === false ? [] : ['-f', 'target/nrf51.cfg']),
    '-c', `gdb_port ${o.gdbPort ?? 'disabled'}`, '-c', 'tcl_port disabled', '-c', 'telnet_port disabled',
    ...o.commands.flatMap((c) => ['-c', c]),
  ];
}

function env(o: OpenOcdOptions): NodeJS.ProcessEnv {
  return { ...process.env, LD_PRELOAD: o.shim, FLASHWRIGHT_DAP_TCP: `127.0.0.1:${o.dapPort}`, FLASHWRIGHT_DAP_TCP_ACK: o.ack === false ? '0' : '1' };
}

/** Runs OpenOCD to completion (the commands should end with `shutdown`). */
export function runOpenOcd(o: OpenOcdOptions): Promise<OpenOcdRun> {
  const child = spawn('openocd', args(o), { env: env(o), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => { clearTimeout(timer); live.delete(child); resolve({ code, output }); });
  });
}

export interface OpenOcdServer {
  gdbPort: number;
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const port = (s.address() as { port: number }).port; s.close(() => resolve(port)); });
  });
}

/** Starts OpenOCD as a GDB server on a free port; resolves once it listens. */
export async function startOpenOcdServer(o: Omit<OpenOcdOptions, 'gdbPort'>): Promise<OpenOcdServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const gdbPort = await freePort();
    const child = spawn('openocd', args({ ...o, gdbPort }), { env: env(o), stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    let exited = false;
    child.once('exit', () => { exited = true; live.delete(child); });
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    while (!exited && Date.now() < deadline && !output.includes(`Listening on port ${gdbPort} for gdb connections`)) await new Promise((r) => setTimeout(r, 50));
    if (exited) { if (/in use|bind/i.test(output)) continue; throw new Error(`openocd exited: ${output}`); }
    if (!output.includes(`Listening on port ${gdbPort}`)) { child.kill('SIGKILL'); throw new Error(`openocd did not start its GDB server: ${output}`); }
    return {
      gdbPort,
      output: () => output,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      },
    };
  }
  throw new Error('no free port for the OpenOCD GDB server after 5 attempts');
}
