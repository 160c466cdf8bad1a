/**
 * ByteStream over a TCP connection through node:net (Node only): GDB servers (OpenOCD,
 * J-Link GDB server, pyOCD, QEMU's stub) and serial-over-TCP bridges. Nagle's algorithm is
 * switched off: request/response protocols would otherwise wait ~40 ms per small packet.
 */
import { connect, type Socket } from 'node:net';
import { CancelledError, FlashwrightError } from '../core/errors.js';
import type { ByteStream } from './types.js';
import { Inbound } from './inbound.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Time allowed for the connection to open (ms); 5000 when omitted. */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** The TCP connection could not be opened. */
export class TcpConnectError extends FlashwrightError {
  constructor(host: string, port: number, cause?: unknown, timedOut = false) {
    super('TCP_CONNECT', timedOut ? `No connection to ${host}:${port} within the time allowed.` : `Could not connect to ${host}:${port}${cause instanceof Error ? ` (${cause.message})` : ''}.`, {
      context: { host, port },
      cause,
      hint: 'Check that the server is running and listening on that port (e.g. `openocd … -c "gdb_port 3333"`, `qemu-system-arm … -gdb tcp::3333`).',
    });
  }
}

class NodeTcpStream implements ByteStream {
  private readonly inbound = new Inbound();
  private closeListener?: (error?: Error) => void;
  private closedNotified = false;
  private closing = false;
  private lastError?: Error;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Uint8Array) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length).slice();
      this.inbound.deliver(bytes);
    });
    socket.on('error', (err: Error) => { this.lastError = err; });
    socket.on('close', () => this.notifyClosed(this.closing ? undefined : this.lastError));
  }

  private notifyClosed(err?: Error): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.closeListener?.(err);
  }

  /**
   * Hands the bytes to the socket and resolves at once: waiting for the flush callback costs
   * an event-loop turn per packet, and write errors surface as a close (onClose) anyway.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.socket.destroyed || this.closedNotified) return Promise.reject(new FlashwrightError('LINK_CLOSED', 'The TCP connection is closed.'));
    this.socket.write(data);
    return Promise.resolve();
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.inbound.attach(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
    if (this.closedNotified) listener(this.lastError);
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A peer that never closes its side must not hold us: destroy after a grace period.
      setTimeout(() => this.socket.destroy(), 500).unref();
    });
  }
}

/** Opens a TCP connection as a ByteStream. */
export function openTcp(options: TcpOptions): Promise<ByteStream> {
  const { host, port, signal } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError('connection', signal.reason));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const cleanup = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); socket.off('error', onError); socket.off('connect', onConnect); };
    const onError = (err: Error) => { cleanup(); socket.destroy(); reject(new TcpConnectError(host, port, err)); };
    const onConnect = () => { cleanup(); resolve(new NodeTcpStream(socket)); };
    const onAbort = () => { cleanup(); socket.destroy(); reject(new CancelledError('connection', signal?.reason)); };
    const timer = setTimeout(() => { cleanup(); socket.destroy(); reject(new TcpConnectError(host, port, undefined, true)); }, options.timeoutMs ?? 5000);
    socket.once('error', onError);
    socket.once('connect', onConnect);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Parses `HOST:PORT`, `:PORT` or `PORT` (host defaults to localhost). */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] || 'localhost', port };
}
