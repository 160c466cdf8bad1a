#!/usr/bin/env node
import { CommanderError, Command } from 'commander';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { EXIT_OK, EXIT_USAGE } from './exit.js';
import { processIo, reportError, type Io } from './output.js';
import { registerCommands } from './commands/index.js';

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  const program = new Command('flashwright')
    .description('Plan, program, verify, erase and read microcontroller flash — and explain failures.')
    .version('0.1.0')
    .exitOverride()
    // Program options only before the command, so a command group's own options (`targets
    // --json`) do not swallow its subcommands' (`targets show X --json`).
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  let exitCode = EXIT_OK;
  registerCommands(program, io, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    return reportError(io, e, argv.includes('--json'));
  }
  return exitCode;
}

function isMain(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
