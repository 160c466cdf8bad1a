/**
 * Builds the test algorithm and firmware from test/fixtures/flash-algo with
 * arm-none-eabi-gcc into a temp dir. Tests skip visibly when the compiler is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/flash-algo/', import.meta.url));
export const PYOCD_NRF51 = '/usr/lib/python3/dist-packages/pyocd/target/target_nRF51822_xxAA.py';

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export const HAVE_GCC = haveTool('arm-none-eabi-gcc');

export class Toolchain {
  readonly dir = mkdtempSync(join(tmpdir(), 'fw-algo-'));
  private n = 0;

  /** Our nRF51 NVMC algorithm as an .FLM, with -D defines for failure variants (or another algorithm source of the fixtures, e.g. ram-nor.c). */
  flm(defines: string[] = [], source = 'nrf51-nvmc.c'): { path: string; data: Uint8Array } {
    const path = join(this.dir, `algo${this.n++}.flm`);
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m0', '-mthumb', '-Os', '-fno-jump-tables', '-ffreestanding', '-nostdlib', '-nostartfiles',
      ...defines.map((d) => `-D${d}`), '-T', join(FIXTURES, 'flm.ld'), join(FIXTURES, source), '-o', path]);
    return { path, data: new Uint8Array(readFileSync(path)) };
  }

  /** The UART firmware for QEMU's micro:bit, printing `message` (linked with app.ld, or another linker script). */
  app(message: string, padWords = 1024, linkerScript = join(FIXTURES, 'app.ld')): string {
    const path = join(this.dir, `app${this.n++}.elf`);
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m0', '-mthumb', '-Os', '-ffreestanding', '-nostdlib', '-nostartfiles',
      `-DMESSAGE="${message}"`, `-DPAD_WORDS=${padWords}`, '-T', linkerScript, join(FIXTURES, 'app-uart.c'), '-o', path]);
    return path;
  }

  /** A RAM-only program for QEMU's mps2-an385, printing `message` on the CMSDK UART0. */
  mps2RamApp(message: string): string {
    const path = join(this.dir, `ram${this.n++}.elf`);
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m3', '-mthumb', '-Os', '-ffreestanding', '-nostdlib', '-nostartfiles',
      `-DMESSAGE="${message}"`, '-T', join(FIXTURES, 'mps2-ram.ld'), join(FIXTURES, 'mps2-ram.c'), '-o', path]);
    return path;
  }

  /** Our external loader (test/fixtures/flash-algo/stldr-ram.c) as a .stldr; `defines` pick a variant, `linkOrigin` moves its link address. */
  stldr(defines: string[] = [], linkOrigin?: number): { path: string; data: Uint8Array } {
    const path = join(this.dir, `loader${this.n++}.stldr`);
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m3', '-mthumb', '-Os', '-ffreestanding', '-nostdlib', '-nostartfiles',
      ...defines.map((d) => `-D${d}`), ...(linkOrigin === undefined ? [] : [`-Wl,--defsym=LINK_ORIGIN=0x${linkOrigin.toString(16)}`]),
      '-T', join(FIXTURES, 'stldr.ld'), join(FIXTURES, 'stldr-ram.c'), '-o', path]);
    return { path, data: new Uint8Array(readFileSync(path)) };
  }

  /** Symbol values from nm (Thumb bit as the toolchain writes it). */
  symbols(path: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of execFileSync('arm-none-eabi-nm', [path], { encoding: 'utf8' }).split('\n')) {
      const m = /^([0-9a-f]+) \w (\S+)$/.exec(line.trim());
      if (m) out[m[2]!] = parseInt(m[1]!, 16);
    }
    return out;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
