/**
 * A deliberately small CMSIS-DAP host for the simulator's tests, written here from the
 * CMSIS-DAP v2.1 command layouts (not the project's host code, so a shared mistake cannot
 * hide): raw request bytes in, the response packet out, one or several in flight.
 */
import type { PacketDevice } from '../../src/link/types.js';

export class TestHost {
  private readonly waiting: Array<(p: Uint8Array) => void> = [];
  closed?: Error | 'closed';

  constructor(readonly device: PacketDevice) {
    device.onPacket((p) => this.waiting.shift()?.(p));
    device.onClose((e) => { this.closed = e ?? 'closed'; });
  }

  /** Sends one packet and resolves with its response (responses come in order). */
  send(bytes: number[] | Uint8Array, timeoutMs = 2000): Promise<Uint8Array> {
    const p = new Promise<Uint8Array>((resolve, reject) => {
      const waiter = (r: Uint8Array) => { clearTimeout(t); resolve(r); };
      // A response that never comes must not leave its waiter to swallow the next one.
      const t = setTimeout(() => { this.waiting.splice(this.waiting.indexOf(waiter), 1); reject(new Error('no response')); }, timeoutMs);
      this.waiting.push(waiter);
    });
    void this.device.write(Uint8Array.from(bytes));
    return p;
  }

  /** DAP_Transfer with the given requests; returns {count, ack, words}. */
  async transfer(requests: Array<{ req: number; data?: number }>): Promise<{ count: number; ack: number; words: number[] }> {
    const bytes = [0x05, 0x00, requests.length];
    for (const r of requests) {
      bytes.push(r.req);
      if (r.data !== undefined) bytes.push(...le32(r.data));
    }
    const resp = await this.send(bytes);
    expectId(resp, 0x05);
    // Data words: a timestamp for each transfer that asked for one, then each plain read's value.
    let n = 0;
    for (const r of requests.slice(0, resp[1]!)) n += (r.req & 0x80 ? 1 : 0) + ((r.req & 0x02) && !(r.req & 0x10) ? 1 : 0);
    const words: number[] = [];
    for (let i = 0; i < n && 3 + 4 * i + 4 <= resp.length; i++) words.push(rd32(resp, 3 + 4 * i));
    return { count: resp[1]!, ack: resp[2]!, words };
  }

  /** Line reset, JTAG-to-SWD, line reset, idle (ADIv5.2 B5.2.2), through SWJ_Sequence. */
  async swdSwitch(): Promise<void> {
    await this.send([0x12, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await this.send([0x12, 16, 0x9e, 0xe7]);
    await this.send([0x12, 56, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await this.send([0x12, 8, 0x00]);
  }

  /** Connect SWD, switch, read DPIDR, clear errors, power up debug and system. */
  async attach(): Promise<number> {
    await this.send([0x02, 0x01]);
    await this.swdSwitch();
    const id = await this.transfer([{ req: DPIDR_R }]);
    await this.transfer([{ req: ABORT_W, data: 0x1e }, { req: SELECT_W, data: 0 }, { req: CTRL_W, data: 0x50000000 }]);
    for (let i = 0; i < 10; i++) {
      const r = await this.transfer([{ req: CTRL_R }]);
      if ((r.words[0]! & 0xa0000000) >>> 0 === 0xa0000000) return id.words[0]!;
    }
    throw new Error('no power-up ack');
  }

  async writeWord(addr: number, value: number): Promise<void> {
    const r = await this.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: addr }, { req: DRW_W, data: value }]);
    if (r.ack !== 1) throw new Error(`write ack ${r.ack}`);
  }

  async readWord(addr: number): Promise<number> {
    const r = await this.transfer([{ req: CSW_W, data: 0x23000012 }, { req: TAR_W, data: addr }, { req: DRW_R }]);
    if (r.ack !== 1) throw new Error(`read ack ${r.ack}`);
    return r.words[0]!;
  }
}

export const DPIDR_R = 0x02, ABORT_W = 0x00, CTRL_W = 0x04, CTRL_R = 0x06, SELECT_W = 0x08, RDBUFF_R = 0x0e;
export const CSW_W = 0x01, CSW_R = 0x03, TAR_W = 0x05, TAR_R = 0x07, DRW_W = 0x0d, DRW_R = 0x0f, IDR_BANK = 0xf0;

export function le32(v: number): number[] { return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]; }
export function le16(v: number): number[] { return [v & 0xff, (v >>> 8) & 0xff]; }
export function rd32(b: Uint8Array, i: number): number { return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0; }
export function expectId(resp: Uint8Array, id: number): void { if (resp[0] !== id) throw new Error(`response id 0x${resp[0]?.toString(16)} for 0x${id.toString(16)}`); }
