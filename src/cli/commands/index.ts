import type { Command } from 'commander';
import type { Io } from '../output.js';
import { convertCommand } from './convert.js';
import { infoCommand } from './info.js';
import { targetsCommand } from './targets.js';

/**
 * A command module adds one command (or a group) to the program. `setExit` records the
 * exit code for the run; thrown errors are rendered by main with code 1 (2 for UsageError).
 */
export type CommandModule = (program: Command, io: Io, setExit: (code: number) => void) => void;

const modules: CommandModule[] = [
  // One line per command module; keep alphabetical.
  convertCommand,
  infoCommand,
  targetsCommand,
];

export function registerCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  for (const m of modules) m(program, io, setExit);
}
