// Bundles the browser app into dist/web (static: index.html, style.css, app.js) and the
// browser tests' init script (fake-navigator.js: navigator.serial wired to the simulators).
// Prints the bench line: bundle sizes, raw and gzip, and the build time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export async function bundleWeb(outdir = 'dist/web', { quiet = false } = {}) {
  const t0 = performance.now();
  mkdirSync(outdir, { recursive: true });
  const common = { bundle: true, platform: 'browser', target: 'es2022', minify: true, sourcemap: true, logLevel: 'warning' };
  await build({ ...common, entryPoints: ['src/web/main.ts'], format: 'esm', outfile: join(outdir, 'app.js') });
  await build({ ...common, entryPoints: ['src/web/fakes/install.ts'], format: 'iife', outfile: join(outdir, 'fake-navigator.js') });
  for (const f of ['index.html', 'style.css']) copyFileSync(join('src/web', f), join(outdir, f));
  const size = (f) => statSync(join(outdir, f)).size;
  const gz = (f) => gzipSync(readFileSync(join(outdir, f))).length;
  const files = ['app.js', 'style.css', 'index.html'];
  const raw = files.reduce((n, f) => n + size(f), 0);
  const zipped = files.reduce((n, f) => n + gz(f), 0);
  const line = `bench web-bundle: app.js ${(size('app.js') / 1024).toFixed(1)} KiB (gzip ${(gz('app.js') / 1024).toFixed(1)} KiB); page total ${(raw / 1024).toFixed(1)} KiB (gzip ${(zipped / 1024).toFixed(1)} KiB); built in ${Math.round(performance.now() - t0)} ms`;
  if (!quiet) console.log(line);
  return { outdir, raw, zipped, line };
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleWeb(process.argv[2]);
