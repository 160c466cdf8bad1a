/**
 * `flashwright web [--port 8080] [--open] [--dir PATH]`: serves the browser app (dist/web,
 * built by `npm run build`) on 127.0.0.1. Web Serial, WebHID and WebUSB need a secure
 * context; http://127.0.0.1 and http://localhost are ones, so no certificate is needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { FlashwrightError, UsageError } from '../../core/errors.js';
import { parseNumber } from '../../core/format.js';
import type { Io } from '../output.js';
import type { CommandModule } from './index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};

/** dist/web next to the bundled CLI (dist/cli), the compiled one (dist/cli/commands) or the sources (src/cli/commands). */
export function findWebRoot(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const rel of ['../web', '../../web', '../../../dist/web']) {
    const dir = resolve(here, rel);
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'))) return dir;
  }
  return undefined;
}

export interface WebServer { url: string; port: number; close(): Promise<void> }

/** A static file server for `root` on host:port (port 0 picks a free one). Never serves outside root. */
export function startWebServer(root: string, port: number, host = '127.0.0.1'): Promise<WebServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(base, '.' + normalize(path.endsWith('/') ? `${path}index.html` : path));
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    if (file !== base && !file.startsWith(base + sep)) { res.writeHead(403).end('forbidden'); return; }
    if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new FlashwrightError('WEB_SERVER', `Cannot serve on ${host}:${port}: ${e.message}.`, {
      hint: e.code === 'EADDRINUSE' ? 'Another program uses that port: pick another with --port (0 = any free one).' : 'Check the address and port.', cause: e, context: { host, port },
    })));
    server.listen(port, host, () => {
      const addr = server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      // close() also ends kept-alive connections: a browser holds them open, and a stopped server must be stopped.
      resolvePromise({ url: `http://${host}:${actual}/`, port: actual, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) });
    });
  });
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => { /* no opener: the URL is printed anyway */ });
  child.unref();
}

export const webCommand: CommandModule = (program: Command, io: Io) => {
  program.command('web')
    .description('serve the browser app (Web Serial / WebHID / WebUSB) on 127.0.0.1')
    .option('--port <n>', 'TCP port (default 8080; 0 = any free one)')
    .option('--open', 'open it in the default browser')
    .option('--dir <path>', 'serve this folder instead of the built dist/web')
    .action(async (opts: { port?: string; open?: boolean; dir?: string }) => {
      const port = opts.port === undefined ? 8080 : parseNumber(opts.port);
      if (port === undefined || port < 0 || port > 65535) throw new UsageError(`--port '${opts.port}' is not a TCP port.`, { hint: 'Use 0–65535 (0 picks a free one).' });
      const root = opts.dir ?? findWebRoot();
      if (!root || !existsSync(join(root, 'index.html'))) {
        throw new UsageError('The browser app is not built.', { hint: 'Run `npm run build` (it writes dist/web), or pass --dir with a built copy.' });
      }
      const server = await startWebServer(root, port);
      io.out(`flashwright web: serving ${root} at ${server.url} (Ctrl-C stops)\n`);
      if (opts.open) openBrowser(server.url);
      await new Promise<void>((r) => { process.once('SIGINT', r); process.once('SIGTERM', r); });
      await server.close();
    });
};
