/**
 * Starts qemu-system-arm halted with its GDB stub on a free TCP port and the first UART
 * in a file, for tests and the benchmark. Each instance is killed by its own pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAVE_QEMU = spawnSync('sh', ['-c', 'command -v qemu-system-arm']).status === 0;

export interface QemuInstance {
  /** TCP port of the GDB stub (0 when it is on a pseudo-terminal). */
  port: number;
  /** Pseudo-terminal of the GDB stub, with `gdbOn: 'pty'` (a Black Magic Probe looks like this). */
  gdbPty?: string | undefined;
  serialPath: string;
  process: ChildProcess;
  serial(): string;
  /** Polls the serial file until it contains `text` (or the time is up). */
  waitForSerial(text: string, timeoutMs?: number): Promise<string>;
  /** Physical memory as QEMU holds it, dumped by its monitor (`memsave`: the CPU's view; `pmemsave` read zeros from the micro:bit's flash here), beside the GDB stub; needs `monitor: true`. */
  physical(address: number, size: number): Promise<Uint8Array>;
  stop(): Promise<void>;
}

export interface QemuOptions {
  gdbOn?: 'tcp' | 'pty';
  /** A human monitor on a Unix socket in the instance's directory (for `physical`). */
  monitor?: boolean;
  /** Bytes put into memory (flash included) before the CPU starts, with QEMU's generic loader. */
  preload?: ReadonlyArray<{ address: number; data: Uint8Array }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** Instances still running; killed when the process exits, so a crashed run leaves no QEMU behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export async function startQemu(machine: 'microbit' | 'mps2-an385', options: QemuOptions = {}): Promise<QemuInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'fw-qemu-'));
  const serialPath = join(dir, 'serial.txt');
  const onPty = options.gdbOn === 'pty';
  const monitorPath = join(dir, 'monitor.sock');
  const monitorArgs = options.monitor ? ['-monitor', `unix:${monitorPath},server=on,wait=off`] : ['-monitor', 'none'];
  const loaderArgs = (options.preload ?? []).flatMap((p, i) => {
    const file = join(dir, `preload${i}.bin`);
    writeFileSync(file, p.data);
    return ['-device', `loader,file=${file},addr=0x${p.address.toString(16)},force-raw=on`];
  });
  let dumps = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = onPty ? 0 : await freePort();
    const gdbArgs = onPty ? ['-chardev', 'pty,id=gdb0', '-gdb', 'chardev:gdb0'] : ['-gdb', `tcp:127.0.0.1:${port}`];
    const child = spawn('qemu-system-arm', ['-M', machine, '-S', ...gdbArgs, '-nographic', ...monitorArgs, ...loaderArgs, '-serial', `file:${serialPath}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout?.on('data', (d: Buffer) => { stderr += d.toString(); });
    let exited = false;
    live.add(child);
    child.once('exit', () => { exited = true; live.delete(child); });
    const deadline = Date.now() + 10000;
    let gdbPty: string | undefined;
    while (!exited && Date.now() < deadline) {
      // QEMU announces "char device redirected to /dev/pts/N (label gdb0)".
      if (onPty) { gdbPty = /(\/dev\/pts\/\d+) \(label gdb0\)/.exec(stderr)?.[1]; if (gdbPty) break; }
      // The stub accepts one client: probing with a connection would take that slot, so wait for the listener differently.
      else if (await listening(port)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (exited) { if (/in use|bind/i.test(stderr)) continue; throw new Error(`qemu-system-arm -M ${machine} exited: ${stderr.trim()}`); }
    const inst: QemuInstance = {
      port,
      gdbPty,
      serialPath,
      process: child,
      serial: () => (existsSync(serialPath) ? readFileSync(serialPath, 'latin1') : ''),
      async waitForSerial(text, timeoutMs = 5000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const s = inst.serial();
          if (s.includes(text) || Date.now() > end) return s;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      async physical(address, size) {
        if (!options.monitor) throw new Error('startQemu: physical() needs { monitor: true }');
        const file = join(dir, `dump${dumps++}.bin`);
        await monitorCommand(monitorPath, `memsave 0x${address.toString(16)} 0x${size.toString(16)} "${file}"`);
        const data = new Uint8Array(readFileSync(file));
        rmSync(file, { force: true });
        if (data.length !== size) throw new Error(`memsave gave ${data.length} bytes, asked ${size}`);
        return data;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return inst;
  }
  throw new Error('no free port for the QEMU GDB stub after 5 attempts');
}

/** True when something listens on the port (checked through /proc, without connecting). */
async function listening(port: number): Promise<boolean> {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const table = readFileSync('/proc/net/tcp', 'utf8');
    return table.split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A'; });
  } catch {
    return canConnect(port);
  }
}

/** Sends one command to the human monitor and resolves once it has printed its prompt again (the command is done). */
function monitorCommand(path: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect({ path });
    let text = '';
    let sent = false;
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`QEMU monitor did not answer "${command}": ${text}`)); }, 10000);
    c.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const prompts = text.split('(qemu) ').length - 1;
      if (!sent && prompts >= 1) { sent = true; c.write(`${command}\n`); }
      else if (sent && prompts >= 2) { clearTimeout(timer); c.end(); resolve(); }
    });
    c.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}
