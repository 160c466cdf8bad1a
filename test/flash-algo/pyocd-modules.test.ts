/**
 * Every pyOCD target module Debian installs that carries a FLASH_ALGO must import and lay
 * out in its own RAM (python3-pyocd; skipped visibly when it is not installed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { algorithmRamNeeds } from '../../src/cli/commands/algo.js';
import { importPyocdAlgorithm } from '../../src/protocol/flash-algo/pyocd-import.js';
import { planLayout } from '../../src/protocol/flash-algo/layout.js';
import { needs } from '../helpers/peers.js';

const DIRS = ['/usr/lib/python3/dist-packages/pyocd/target', '/usr/lib/python3/dist-packages/pyocd/target/builtin'];
const modules = DIRS.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => /^target_.*\.py$/.test(f)).map((f) => join(d, f)))
  .filter((p) => readFileSync(p, 'utf8').includes('FLASH_ALGO'));

const pyocd = needs('python3-pyocd');

// When pyOCD is missing the list is empty: one placeholder keeps a (skipped, reported) test.
describe.skipIf(pyocd.skip)(pyocd.title(`pyOCD target modules (${modules.length})`), () => {
  it('Debian installs pyOCD modules with a FLASH_ALGO', () => { expect(modules.length).toBeGreaterThan(40); });
  it.each(modules.length ? modules : ['(none)'])('%s imports and lays out in the RAM the module declares', (path) => {
    const r = importPyocdAlgorithm(readFileSync(path, 'utf8'), path);
    const needs = algorithmRamNeeds(r.algorithm);
    expect(needs.stack).toBeGreaterThan(0);
    if (r.ram) {
      const l = planLayout(r.algorithm, { ram: r.ram });
      expect(l.loadAddress).toBe(r.algorithm.loadAddress);
      expect(l.stackTop).toBeGreaterThan(l.stackLimit);
    }
  });
});
