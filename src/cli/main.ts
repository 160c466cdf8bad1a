#!/usr/bin/env node
import { CommanderError, Command } from 'commander';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { EXIT_OK, EXIT_USAGE } from './exit.js';
import { processIo, reportError, type Io } from './output.js';
import { registerCommands } from './commands/index.js';

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argvIn: string[], io: Io = processIo): Promise<number> {
  const program = new Command('flashwright')
    .description('Plan, program, verify, erase and read microcontroller flash — and explain failures.')
    .version('0.1.0')
    .exitOverride()
    // Program options only before the command, so a command group's own options (`targets
    // --json`) do not swallow its subcommands' (`targets show X --json`).
    .enablePositionalOptions()
    // Commander's own error lines are not printed: they are reported below as a UsageError.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => {} });
  let exitCode = EXIT_OK;
  registerCommands(program, io, (code) => { exitCode = code; });
  // `--explain` on a command that has no option of that name: on failure, run the doctor on
  // the error record inline (issue 11 §1).
  const explain = argvIn.includes('--explain') && !namedCommand(program, argvIn).options.some((o) => o.long === '--explain');
  const argv = explain ? argvIn.filter((a) => a !== '--explain') : argvIn;
  if (argv.length === 0) {
    // No command at all: the help is the answer, but the command line did nothing (exit 2).
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      if (e.exitCode === 0) return EXIT_OK;
      return reportError(io, commanderUsageError(e, program, argv), argv.includes('--json'));
    }
    return reportError(io, e, argv.includes('--json'), { argv, explain });
  }
  return exitCode;
}

/** The deepest command an argument list names. */
function namedCommand(program: Command, argv: string[]): Command {
  let cmd = program;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    cmd = sub;
  }
  return cmd;
}

/** The command an argument list names ("flashwright targets show"), as far as it names one. */
function commandPath(program: Command, argv: string[]): string {
  const names = [program.name()];
  let cmd = program;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(' ');
}

/**
 * Commander's parse errors (unknown option, missing argument, …) as a UsageError: one
 * sentence, the "(Did you mean …?)" line in the hint with a pointer to the command's help.
 * No cause: it would only repeat the message.
 */
function commanderUsageError(e: CommanderError, program: Command, argv: string[]): UsageError {
  const [first, ...rest] = e.message.replace(/^error:\s*/, '').split('\n').map((l) => l.trim()).filter(Boolean);
  // One sentence: "too many arguments for 'show'. Expected 1 …" → "…for 'show': expected 1 …".
  const text = (first ?? 'the command line is not valid').replace(/\.\s+([A-Z])/g, (_m, c: string) => `: ${c.toLowerCase()}`);
  const message = text.charAt(0).toUpperCase() + text.slice(1) + (/[.?!]$/.test(text) ? '' : '.');
  const suggestion = rest.map((l) => l.replace(/^\((.*)\)$/, '$1')).join(' ');
  const help = `see \`${commandPath(program, argv)} --help\``;
  return new UsageError(message, {
    hint: suggestion ? `${suggestion} Otherwise ${help}.` : `${help.charAt(0).toUpperCase()}${help.slice(1)}.`,
    context: { commanderCode: e.code },
  });
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
