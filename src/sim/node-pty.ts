/**
 * Exposes an in-process byte stream on a pseudo-terminal so real programs (stm32flash,
 * blhost, a terminal) can talk to a simulator as if it were a serial port (Node only).
 *
 * socat creates the pty (`pty,raw,echo=0,link=PATH`) and bridges it to its stdin/stdout,
 * which we connect to `stream`. Bytes the client writes to PATH arrive as
 * `stream.write(...)`; bytes `stream` delivers go to the client. Pass the *host* end of a
 * createPipe() whose device end a simulator serves, so the pipe's counters see the traffic.
 *
 * A pty master reads EIO (and socat exits) once the last holder of the slave closes it, so
 * we hold the slave open ourselves: clients can come and go (stm32flash runs once per
 * operation) while the simulated chip keeps its state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, lstatSync, openSync, realpathSync, unlinkSync } from 'node:fs';
import { FlashwrightError } from '../core/errors.js';
import type { ErrorContext } from '../core/errors.js';
import type { ByteStream } from '../link/types.js';

export interface PtyExposure {
  /** The symlink clients open. */
  readonly path: string;
  /** The /dev/pts/N device behind it. */
  readonly devicePath: string;
  /** Stops socat, removes the link and closes `stream`'s listener side. */
  close(): Promise<void>;
  /** Resolves when socat exits for any reason (stopped, killed, failed). */
  readonly exited: Promise<void>;
}

export interface ExposeOptions {
  /** socat binary; `socat` from PATH when omitted. */
  socat?: string;
  /** How long to wait for socat to create the pty. */
  startTimeoutMs?: number;
}

const SOCAT_HINT = 'Install socat (Debian: apt-get install socat) and choose a link path in a writable directory that no other simulator uses.';

export class PtyError extends FlashwrightError {
  constructor(message: string, context: ErrorContext, cause?: unknown, hint = SOCAT_HINT) {
    super('PTY', message, { context, cause, hint });
  }
}

/** What already sits at a link path, in words, so the error names it (socat is not the problem then). */
function describeExisting(path: string): { what: string; hint: string } {
  try {
    if (lstatSync(path).isSymbolicLink()) {
      let to = '';
      try { to = realpathSync(path); } catch { /* dangling */ }
      return to.startsWith('/dev/pts/')
        ? { what: `is already a link to the pseudo-terminal ${to}`, hint: 'Another simulator is probably serving it: stop that one, or choose another --pty path.' }
        : { what: `is already a link${to ? ` to ${to}` : ' (dangling)'}, not one of ours`, hint: 'Remove it if it is stale, or choose another --pty path.' };
    }
    return lstatSync(path).isDirectory()
      ? { what: 'is a directory', hint: 'Give a file name for the link, e.g. /tmp/fw-sim-tty.' }
      : { what: 'already exists and is not a pseudo-terminal link', hint: 'Choose another --pty path (flashwright creates the link itself), or remove that file if it is stale.' };
  } catch {
    return { what: 'already exists', hint: 'Choose another --pty path.' };
  }
}

function isLink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

/** Bridges `stream` to a new pseudo-terminal whose link is `path`. */
export async function exposeOnPty(stream: ByteStream, path: string, options: ExposeOptions = {}): Promise<PtyExposure> {
  if (existsSync(path) || isLink(path)) {
    const { what, hint } = describeExisting(path);
    throw new PtyError(`The pty link path ${path} ${what}.`, { path }, undefined, hint);
  }
  const child: ChildProcess = spawn(options.socat ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${path}`, 'STDIO'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let holdFd: number | undefined;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });

  const devicePath = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new PtyError(`socat did not create the pty ${path} in time.`, { path, stderr })), options.startTimeoutMs ?? 5000);
    const fail = (e: Error) => { clearTimeout(timer); child.kill('SIGTERM'); reject(e); };
    child.once('error', (e) => fail(new PtyError(`Could not start socat for ${path}.`, { path }, e)));
    child.once('exit', (code) => fail(new PtyError(`socat exited (code ${code}) before the pty ${path} was ready.`, { path, stderr })));
    child.stderr!.on('data', (d: Uint8Array) => {
      stderr += new TextDecoder().decode(d);
      // socat -d -d logs "PTY is /dev/pts/N" and then "starting data transfer loop".
      if (/starting data transfer loop/.test(stderr) && existsSync(path)) {
        clearTimeout(timer);
        resolve(realpathSync(path));
      }
    });
  });

  // Hold the slave open (see the header comment). O_NOCTTY: never become our controlling tty.
  holdFd = openSync(devicePath, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);

  child.stdout!.on('data', (d: Uint8Array) => {
    void stream.write(new Uint8Array(d.buffer, d.byteOffset, d.length).slice()).catch(() => undefined);
  });
  stream.onData((chunk) => {
    if (!stopping && child.stdin!.writable) child.stdin!.write(chunk);
  });
  child.stdin!.on('error', () => undefined);

  const release = () => {
    if (holdFd !== undefined) { try { closeSync(holdFd); } catch { /* already closed */ } holdFd = undefined; }
  };
  void exited.then(release);

  return {
    path,
    devicePath,
    exited,
    async close() {
      if (stopping) return exited;
      stopping = true;
      child.kill('SIGTERM');
      await exited;
      release();
      // socat removes its link on a clean exit; make sure it is gone either way.
      try { unlinkSync(path); } catch { /* already removed */ }
    },
  };
}
