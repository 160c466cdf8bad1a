// Bundles the CLI into one ES module (npm packages stay external). Loading ~150 separate
// modules costs Node about 80 ms at every start; one file loads in a fraction of that.
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/cli/flashwright.js';
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  outfile,
  logLevel: 'warning',
});
