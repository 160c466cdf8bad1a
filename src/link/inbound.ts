/**
 * Holds incoming chunks until a consumer attaches, then hands each chunk straight to it.
 * Every ByteStream needs this: bytes can arrive (a banner, a stray ACK) before the protocol
 * layer has registered its reader, and they must not be lost.
 */
export class Inbound {
  private listener?: (chunk: Uint8Array) => void;
  private pending: Uint8Array[] = [];

  deliver(chunk: Uint8Array): void {
    if (this.listener) this.listener(chunk);
    else this.pending.push(chunk);
  }

  /** Registers the one consumer (replacing any previous one) and flushes what was held. */
  attach(listener: (chunk: Uint8Array) => void): void {
    this.listener = listener;
    const queued = this.pending;
    this.pending = [];
    for (const c of queued) listener(c);
  }
}
