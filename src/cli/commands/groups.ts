import type { Command } from 'commander';

/**
 * Returns the subcommand group `name` (e.g. `sim`, `algo`, `imxrt`), creating it on first
 * use, so several command modules can each add one subcommand to the same group.
 */
export function commandGroup(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(description);
}
