// The floors of ARCHITECTURE.md as a test: any import from a lower floor to a higher one (or
// one that FORBIDDEN in scripts/floors.ts names, such as sim/ → programmer/) fails here.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOORS, floorViolations } from '../../scripts/floors.js';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

describe('floors', () => {
  it('no import in src/ runs from a lower floor to a higher one', () => {
    const found = floorViolations(SRC).map((v) => `src/${v.file}:${v.line} imports ${v.spec}: ${v.why}`);
    expect(found).toEqual([]);
  });

  it('every folder of src/ has a floor', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => FLOORS[f] === undefined)).toEqual([]);
  });

  it('catches an upward import, a forbidden sideways one and a dynamic one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-floors-'));
    try {
      const put = (path: string, text: string) => { mkdirSync(join(dir, path, '..'), { recursive: true }); writeFileSync(join(dir, path), text); };
      put('core/a.ts', "import { x } from '../flash/b.js';\n");
      put('flash/b.ts', "export const x = 1;\nimport type { Y } from '../core/a.js';\n");
      put('sim/c.ts', "export * from '../programmer/d.js';\n");
      put('programmer/d.ts', "export const d = await import('../cli/e.js');\n");
      put('cli/e.ts', "import '../programmer/d.js';\n");
      const found = floorViolations(dir).map((v) => `${v.file} → ${v.toFolder}`);
      expect(found).toEqual(['core/a.ts → flash', 'programmer/d.ts → cli', 'sim/c.ts → programmer']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
