// src/index.ts names what it exports: no `export *` (namespaces `export * as x` are named
// groupings), and the engine's internals stay inside.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

describe('the public API', () => {
  it('lists its exports one by one', () => {
    const text = readFileSync(resolve(import.meta.dirname, '../../src/index.ts'), 'utf8');
    expect(text.split('\n').filter((l) => /^export (type )?\*\s+from/.test(l))).toEqual([]);
  });

  it('keeps internals inside and the README example\'s names outside', () => {
    for (const internal of ['expectedSector', 'programData', 'touchedSectors', 'formatRanges', 'protectionRemedy', 'binaryChunks', 'expandSectors']) {
      expect(Object.keys(api)).not.toContain(internal);
    }
    for (const name of ['loadImage', 'requireTarget', 'SimMemory', 'SimProgrammer', 'writeImage', 'planFlash', 'regionSectors', 'FlashwrightError']) {
      expect(Object.keys(api)).toContain(name);
    }
  });
});
