// Bundles the browser app into dist/web, a static site for any host: index.html, style.css,
// app.js and the service worker sw.js, whose cache list and version (a hash of the built
// files) are generated here, so each build is a new cache and the page works offline once
// loaded. Nothing test-only goes in (the tests' fake navigator is built by test/web/browser.ts).
// Prints the bench line: bundle sizes, raw and gzip, and the build time (time to interactive:
// `npm run bench web`).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const SW = 'sw.js';

/** The files the service worker keeps: every built file but itself and the source maps. */
export function offlineAssets(outdir) {
  return readdirSync(outdir).filter((f) => f !== SW && !f.endsWith('.map') && statSync(join(outdir, f)).isFile()).sort();
}

/** Writes outdir/sw.js for the files now in outdir; returns its version (their content hash). */
export async function writeServiceWorker(outdir) {
  const assets = offlineAssets(outdir);
  const hash = createHash('sha256');
  for (const f of assets) hash.update(`${f}\0`).update(readFileSync(join(outdir, f))).update('\0');
  const version = hash.digest('hex').slice(0, 12);
  await build({
    entryPoints: ['src/web/sw.ts'], outfile: join(outdir, SW), bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'warning',
    define: { FW_VERSION: JSON.stringify(version), FW_ASSETS: JSON.stringify(assets) },
  });
  return { version, assets };
}

export async function bundleWeb(outdir = 'dist/web', { quiet = false } = {}) {
  const t0 = performance.now();
  const dir = resolve(outdir);
  if (dir === resolve('.') || dir === resolve('/')) throw new Error(`refusing to empty ${dir}`);
  // A fresh folder: a file left by an older build would otherwise be served and cached.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({ entryPoints: ['src/web/main.ts'], outfile: join(outdir, 'app.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, sourcemap: true, logLevel: 'warning' });
  for (const f of ['index.html', 'style.css']) copyFileSync(join('src/web', f), join(outdir, f));
  const { version, assets } = await writeServiceWorker(outdir);
  const size = (f) => statSync(join(outdir, f)).size;
  const gz = (f) => gzipSync(readFileSync(join(outdir, f))).length;
  const files = [...assets, SW];
  const raw = files.reduce((n, f) => n + size(f), 0);
  const zipped = files.reduce((n, f) => n + gz(f), 0);
  const kib = (n) => (n / 1024).toFixed(1);
  const line = `bench web-bundle: app.js ${kib(size('app.js'))} KiB (gzip ${kib(gz('app.js'))} KiB); page total ${kib(raw)} KiB (gzip ${kib(zipped)} KiB) in ${files.length} files; offline build ${version}; built in ${Math.round(performance.now() - t0)} ms`;
  if (!quiet) console.log(line);
  return { outdir, raw, zipped, appRaw: size('app.js'), appZipped: gz('app.js'), version, assets, line };
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleWeb(process.argv[2]);
