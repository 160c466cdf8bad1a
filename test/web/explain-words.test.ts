import { describe, expect, it } from 'vitest';
import { inPageWords } from '../../src/web/explain.js';

// The hints as src/flash/errors.ts and src/flash/diagnose.ts write them for the CLI.
describe('hints in the page', () => {
  it('say "press Write again" where the CLI says "run the same command again with --skip"', () => {
    expect(inPageWords('Fix the link and run the same command again with --skip, so sectors already finished are found equal and skipped.'))
      .toBe('Fix the link and press Write again (the page reads first and skips what already matches), so sectors already finished are found equal and skipped.');
    expect(inPageWords('Run the same command again with --skip to finish it.')).toBe('Press Write again (the page reads first and skips what already matches) to finish it.');
    expect(inPageWords('then the same write again with --skip so finished sectors are skipped.')).toBe('then Write again (the page reads first and skips what already matches) so finished sectors are skipped.');
    expect(inPageWords('Check the wiring.')).toBe('Check the wiring.');
  });
});
