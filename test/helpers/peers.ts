/**
 * One way for every test that needs a third-party program (a "peer") to say so, so that a
 * skip always carries its reason to scripts/run-tests.mjs, which prints it on its own line
 * and, in CI, fails the run.
 *
 *   const p = needs('stm32flash', 'socat');
 *   describe.skipIf(p.skip)(p.title('stm32flash against the simulated bootloader'), () => { … });
 *
 * The reason travels in the title because that is what vitest's JSON report keeps for a test
 * skipped through `describe.skipIf` (there is no note at that level): `p.title()` appends
 * SKIP_MARK + the missing peers only when something is missing, so the titles of tests that
 * run never change.
 *
 * FLASHWRIGHT_HIDE_PEERS=socat,stm32flash makes those peers count as missing, to check the
 * skip path (and CI's refusal of it) without uninstalling anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Starts the reason appended to a skipped title; scripts/test-summary.mjs looks for it. */
export const SKIP_MARK = ' [skipped, missing: ';

interface PeerFact {
  /** Debian package that provides it (what .ci/run installs). */
  debian: string;
  /** A file whose presence means the peer is installed, for peers that are not a command. */
  file?: string;
}

/** Peers the suite knows, with the Debian package named in the skip reason. */
const KNOWN = {
  'arm-none-eabi-gcc': { debian: 'gcc-arm-none-eabi' },
  'arm-none-eabi-objcopy': { debian: 'binutils-arm-none-eabi' },
  'arm-none-eabi-nm': { debian: 'binutils-arm-none-eabi' },
  'arm-none-eabi-objdump': { debian: 'binutils-arm-none-eabi' },
  'srec_cat': { debian: 'srecord' },
  'srec_cmp': { debian: 'srecord' },
  'srec_info': { debian: 'srecord' },
  'socat': { debian: 'socat' },
  'stm32flash': { debian: 'stm32flash' },
  'qemu-system-arm': { debian: 'qemu-system-arm' },
  'gdb-multiarch': { debian: 'gdb-multiarch' },
  'openocd': { debian: 'openocd' },
  'chromium': { debian: 'chromium' },
  'tmux': { debian: 'tmux' },
  'time': { debian: 'time', file: '/usr/bin/time' },
  'python3-pyocd': { debian: 'python3-pyocd', file: '/usr/lib/python3/dist-packages/pyocd/target/target_nRF51822_xxAA.py' },
} satisfies Record<string, PeerFact>;

/** A known peer (gets its Debian package named), or any other command expected on PATH. */
export type PeerName = keyof typeof KNOWN | (string & Record<never, never>);

const hidden = (name: string) => (process.env.FLASHWRIGHT_HIDE_PEERS ?? '').split(',').map((s) => s.trim()).includes(name);
const cache = new Map<string, boolean>();

/** True when the peer is installed (and not hidden by FLASHWRIGHT_HIDE_PEERS). */
export function hasPeer(name: PeerName): boolean {
  if (hidden(name)) return false;
  let found = cache.get(name);
  if (found === undefined) {
    const fact: PeerFact | undefined = (KNOWN as Record<string, PeerFact>)[name];
    found = fact?.file ? existsSync(fact.file) : spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
    cache.set(name, found);
  }
  return found;
}

/** "stm32flash (Debian package stm32flash)" — what to install. */
function describePeer(name: string): string {
  const fact: PeerFact | undefined = (KNOWN as Record<string, PeerFact>)[name];
  return fact ? `${name} (Debian package ${fact.debian})` : `${name} (not on PATH)`;
}

export interface PeerCheck {
  /** Peers that are not installed, in the order asked. */
  readonly missing: readonly string[];
  /** True when any is missing: pass to describe.skipIf / it.skipIf. */
  readonly skip: boolean;
  /** Why the tests skip ("" when nothing is missing). */
  readonly reason: string;
  /** The title unchanged when all peers are there, else with the skip reason appended. */
  title(title: string): string;
}

/** Checks the peers a describe block or test needs. */
export function needs(...names: PeerName[]): PeerCheck {
  const missing = names.filter((n) => !hasPeer(n));
  const reason = missing.map(describePeer).join(', ');
  return {
    missing,
    skip: missing.length > 0,
    reason,
    title: (title) => (missing.length ? `${title}${SKIP_MARK}${reason}]` : title),
  };
}
