import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { FlashAlgorithm } from '../protocol/flash-algo/algorithm.js';
import type { DeviceChangeKind, Programmer } from '../programmer/types.js';
import type { TargetDescription } from '../target/types.js';
import type { Io } from './output.js';

/** A command-line option a way in needs (`--port PATH`, `--baud N`). */
export interface ViaOption {
  /** Commander flags, e.g. '--port <path>'. */
  flags: string;
  description: string;
  defaultValue?: string | boolean;
  /** The option may be given several times; its value is the list, in order. */
  collect?: boolean;
}

export interface ViaContext {
  io: Io;
  /** The target the user named (--target / --target-file), if any. */
  target?: TargetDescription | undefined;
  /**
   * The flash algorithms the target's pack (or probe-rs file) makes the default for its flash
   * regions, one per region (internal flash, a second bank, QSPI…); a way in that runs
   * algorithms uses them when --algo is not given.
   */
  packAlgorithms?: FlashAlgorithm[] | undefined;
  /** The access port the pack names for the core (`__ap`), for ways in that pick one. */
  packAccessPort?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * One `--via NAME` choice for write/read/erase/verify/info. Via modules register themselves
 * when src/cli/vias/index.ts imports them.
 */
export interface ViaDefinition {
  name: string;
  description: string;
  options: ViaOption[];
  /** Long flags another way in declares that this one takes as well (e.g. --algo). */
  alsoTakes?: readonly string[];
  /** The unlocks and protections the options ask for (a write runs them as plan operations). */
  changes?(options: Record<string, unknown>): DeviceChangeKind[];
  /** Opens the way in from the parsed options; the caller connects and closes it. */
  create(options: Record<string, unknown>, context: ViaContext): Promise<Programmer>;
}

const registry = new Map<string, ViaDefinition>();

export function defineVia(def: ViaDefinition): void {
  registry.set(def.name, def);
}

export function getVia(name: string): ViaDefinition {
  const v = registry.get(name);
  if (!v) throw new UsageError(`Unknown --via '${name}'.`, { hint: `Choose one of: ${[...registry.keys()].join(', ')}.` });
  return v;
}

export function allVias(): ViaDefinition[] {
  return [...registry.values()];
}

/** Adds every registered via's options to `cmd`, each long flag once. */
export function addViaOptions(cmd: Command): Command {
  const seen = new Set<string>(cmd.options.map((o) => o.long ?? ''));
  for (const v of registry.values()) {
    for (const o of v.options) {
      const long = /--[\w-]+/.exec(o.flags)?.[0] ?? o.flags;
      if (seen.has(long)) continue;
      seen.add(long);
      if (o.collect) cmd.option(o.flags, `${o.description} [${v.name}]`, (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      else cmd.option(o.flags, `${o.description} [${v.name}]`, o.defaultValue as string | boolean | undefined);
    }
  }
  return cmd;
}

/** The long flag of an option ('--gdb-mode <mode>' → '--gdb-mode'). */
function longOf(o: ViaOption): string {
  return /--[\w-]+/.exec(o.flags)?.[0] ?? o.flags;
}

/** Commander's key for a long flag: '--gdb-mode' → 'gdbMode', '--no-double-buffer' → 'doubleBuffer'. */
function keyOf(long: string): string {
  return long.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A way-in option given to a way in that does not take it is a usage error naming the way in:
 * silently ignoring it (`--gdb-mode` with `--via cmsis-dap`) lets the user believe it acted.
 */
export function refuseForeignOptions(via: ViaDefinition, options: Record<string, unknown>): void {
  const own = new Set([...via.options.map(longOf), ...(via.alsoTakes ?? [])]);
  const foreign: string[] = [];
  for (const v of registry.values()) {
    for (const o of v.options) {
      const long = longOf(o);
      if (own.has(long) || foreign.includes(long)) continue;
      const value = options[keyOf(long)];
      const given = long.startsWith('--no-') ? value === false : value !== undefined && value !== o.defaultValue;
      if (given) foreign.push(long);
    }
  }
  if (foreign.length === 0) return;
  const takers = (long: string) => [...registry.values()].filter((v) => v.options.some((o) => longOf(o) === long) || v.alsoTakes?.includes(long)).map((v) => v.name);
  const one = foreign.length === 1;
  throw new UsageError(`--via ${via.name} does not take ${foreign.join(', ')}${one ? ` (an option of --via ${takers(foreign[0]!).join(' / ')})` : ''}, so it would be ignored.`, {
    hint: `Leave ${one ? 'it' : 'them'} out, or choose the way in that takes ${one ? 'it' : 'them'}; \`flashwright write --help\` names each option's way in in brackets.`,
    context: { via: via.name, options: foreign },
  });
}
