/**
 * The simulated ROM on a UART: command blocks and data as raw bytes, the HAB word and the
 * status/data bytes back as they are. After a good JUMP_ADDRESS the flashloader takes over the
 * same wire as the MCUboot UART device (which, like the real one, waits for a ping).
 */
import type { ByteStream } from '../../link/types.js';
import { McubootUartSim } from '../mcuboot/uart.js';
import { ImxrtRomSim, type ImxrtRomOptions } from './rom.js';

export interface SdpUartFaults {
  /** After this many more data bytes, the next `count` data bytes are lost on the wire. */
  loseDataBytes?: { after: number; count: number } | undefined;
}

export class SdpUartSim {
  readonly rom: ImxrtRomSim;
  faults: SdpUartFaults = {};
  flashloader?: McubootUartSim | undefined;
  private pending = new Uint8Array(0);
  private dataSeen = 0;
  private tx: Promise<void> = Promise.resolve();

  constructor(private readonly stream: ByteStream, rom: ImxrtRomSim | ImxrtRomOptions = {}) {
    this.rom = rom instanceof ImxrtRomSim ? rom : new ImxrtRomSim(rom);
    stream.onData((chunk) => this.receive(chunk));
    stream.onClose(() => undefined);
  }

  private receive(chunk: Uint8Array): void {
    let bytes = chunk;
    while (bytes.length > 0 && !this.flashloader) {
      const want = this.rom.expectingData;
      if (want > 0) {
        const k = Math.min(want, bytes.length);
        const piece = this.lose(bytes.subarray(0, k));
        bytes = bytes.subarray(k);
        if (piece.length) this.out(this.rom.data(piece));
        continue;
      }
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending);
      joined.set(bytes, this.pending.length);
      if (joined.length < 16) { this.pending = joined; return; }
      this.pending = new Uint8Array(0);
      bytes = joined.subarray(16);
      const before = this.rom.baud;
      this.out(this.rom.command(joined.subarray(0, 16)));
      // SET_BAUDRATE: the answer goes out at the old rate, then this side listens at the new one.
      if (this.rom.baud !== before && this.rom.baud !== undefined) {
        const baud = this.rom.baud;
        this.tx = this.tx.then(() => this.stream.setBaudRate?.(baud)).catch(() => undefined);
      }
    }
    if (this.rom.flashloader && !this.flashloader) {
      this.flashloader = new McubootUartSim(this.stream, this.rom.flashloader);
    }
  }

  private lose(piece: Uint8Array): Uint8Array {
    const f = this.faults.loseDataBytes;
    const start = this.dataSeen;
    this.dataSeen += piece.length;
    if (!f) return piece;
    const from = Math.max(0, f.after - start);
    const to = Math.min(piece.length, f.after + f.count - start);
    if (to <= from) return piece;
    const kept = new Uint8Array(piece.length - (to - from));
    kept.set(piece.subarray(0, from));
    kept.set(piece.subarray(to), from);
    return kept;
  }

  private out(items: Array<{ bytes: Uint8Array }>): void {
    for (const item of items) {
      const bytes = item.bytes.slice();
      this.tx = this.tx.then(() => this.stream.write(bytes)).catch(() => undefined);
    }
  }
}
