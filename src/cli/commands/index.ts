import type { Command } from 'commander';
import type { Io } from '../output.js';
import { algoCommand } from './algo.js';
import { checkCommand } from './check.js';
import { convertCommand } from './convert.js';
import { doctorCommand } from './doctor.js';
import { eraseCommand } from './erase.js';
import { imxrtCommand } from './imxrt.js';
import { infoCommand } from './info.js';
import { packCommand } from './pack.js';
import { planCommand } from './plan.js';
import { portsCommand } from './ports.js';
import { probesCommand } from './probes.js';
import { readCommand } from './read.js';
import { resetCommand } from './reset.js';
import { simCmsisDapCommand } from './sim-cmsis-dap.js';
import { simMcubootCommand } from './sim-mcuboot.js';
import { simSdpCommand } from './sim-sdp.js';
import { simStm32Command } from './sim-stm32.js';
import { targetsCommand } from './targets.js';
import { verifyCommand } from './verify.js';
import { webCommand } from './web.js';
import { writeCommand } from './write.js';

/**
 * A command module adds one command (or a group) to the program. `setExit` records the
 * exit code for the run; thrown errors are rendered by main with code 1 (2 for UsageError).
 */
export type CommandModule = (program: Command, io: Io, setExit: (code: number) => void) => void;

const modules: CommandModule[] = [
  // One line per command module; keep alphabetical.
  algoCommand,
  checkCommand,
  convertCommand,
  doctorCommand,
  eraseCommand,
  imxrtCommand,
  infoCommand,
  packCommand,
  planCommand,
  portsCommand,
  probesCommand,
  readCommand,
  resetCommand,
  simCmsisDapCommand,
  simMcubootCommand,
  simSdpCommand,
  simStm32Command,
  targetsCommand,
  verifyCommand,
  webCommand,
  writeCommand,
];

export function registerCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  for (const m of modules) m(program, io, setExit);
}
