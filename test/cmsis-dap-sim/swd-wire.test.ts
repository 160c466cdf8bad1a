/**
 * The DP model's wire behaviour, bit by bit, against the sequences of Arm ADIv5.2
 * (IHI0031) B4: packet request 0xA5 = read DPIDR (start, APnDP 0, RnW 1, A 00, parity 1,
 * stop 0, park 1), one turnaround cycle, ACK OK = 0b001 LSB first, 32 data bits and even
 * parity; line reset = ≥ 50 cycles high; protocol errors lock the target out until then.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryTarget, parity32 } from '../../src/sim/cmsis-dap/index.js';

type Bit = 0 | 1;

function rig(opts: { waitsPerApAccess?: number } = {}) {
  const t = createMemoryTarget({ chip: 'nrf51', ...opts });
  const w = t.wire;
  const drive = (bits: Bit[]) => bits.map((b) => w.clock(b));
  const listen = (n: number) => Array.from({ length: n }, () => w.clock(undefined));
  const reset = () => { drive(Array(50).fill(1)); drive([0, 0]); };
  const header = (ap: number, rnw: number, a: number): Bit[] => {
    const a2 = (a >> 2) & 1, a3 = (a >> 3) & 1;
    return [1, ap, rnw, a2, a3, (ap ^ rnw ^ a2 ^ a3) & 1, 0, 1] as Bit[];
  };
  const word = (bits: number[]) => bits.slice(0, 32).reduce((v, b, i) => (v | (b << i)) >>> 0, 0);
  const bitsOf = (v: number): Bit[] => [...Array.from({ length: 32 }, (_, i) => ((v >>> i) & 1) as Bit), parity32(v) as Bit];
  /** A whole read; returns ack bits and data (undefined unless OK). */
  const read = (ap: number, a: number, trn = 1) => {
    drive(header(ap, 1, a));
    listen(trn);
    const ack = listen(3);
    if (ack.join('') !== '100') { listen(trn); return { ack: ack.join(''), data: undefined }; }
    const d = listen(33);
    listen(trn);
    return { ack: ack.join(''), data: word(d), parityOk: d[32] === parity32(word(d)) };
  };
  const write = (ap: number, a: number, v: number, opts: { badParity?: boolean; trn?: number } = {}) => {
    const trn = opts.trn ?? 1;
    drive(header(ap, 0, a));
    listen(trn);
    const ack = listen(3).join('');
    listen(trn);
    if (ack === '100') { const b = bitsOf(v); if (opts.badParity) b[32] = (b[32]! ^ 1) as Bit; drive(b); }
    return ack;
  };
  return { t, w, drive, listen, reset, header, read, write, bitsOf };
}

describe('SWD wire (ADIv5.2 B4)', () => {
  it('the packet request for a DPIDR read is 0xA5 LSB first, answered OK with the ID and even parity', () => {
    const r = rig();
    expect(r.header(0, 1, 0).reduce((v: number, b, i) => v | (b << i), 0)).toBe(0xa5);
    r.reset();
    expect(r.read(0, 0)).toEqual({ ack: '100', data: 0x0bb11477, parityOk: true });
    expect(r.w.stats.contention).toBe(0);
  });

  it('49 cycles high are not a line reset: the target stays locked out', () => {
    const r = rig();
    r.drive(Array(49).fill(1)); r.drive([0, 0]);
    expect(r.read(0, 0).ack).toBe('111'); // nobody drives: the pull-up reads 1
    r.reset();
    expect(r.read(0, 0).ack).toBe('100');
  });

  it('after a line reset only a DPIDR read is answered', () => {
    const r = rig();
    r.reset();
    expect(r.read(0, 4).ack).toBe('111');
    expect(r.t.dp.stats.noResponse).toBe(1);
    r.reset();
    expect(r.read(0, 0).ack).toBe('100');
    expect(r.read(0, 4).ack).toBe('100');
  });

  it('a request with bad parity, stop or park bit is a protocol error: no ACK until a line reset', () => {
    for (const bad of [5, 6, 7]) {
      const r = rig();
      r.reset();
      r.read(0, 0);
      const h = r.header(0, 1, 0);
      h[bad] = (h[bad]! ^ 1) as Bit;
      r.drive(h);
      expect(r.listen(4).slice(1).join('')).toBe('111');
      expect(r.w.stats.protocolErrors).toBe(1);
      r.listen(34);
      expect(r.read(0, 0).ack).toBe('111'); // still locked out
      r.reset();
      expect(r.read(0, 0).ack).toBe('100');
    }
  });

  it('write data with bad parity sets WDATAERR and is discarded; FAULT follows until ABORT clears it', () => {
    const r = rig();
    r.reset();
    r.read(0, 0);
    expect(r.write(0, 8, 0xf0, { badParity: true })).toBe('100'); // SELECT with bad parity
    const ctrl = r.read(0, 4);
    expect(ctrl.data! & 0x80).toBe(0x80);
    expect(r.read(0, 0xc).ack).toBe('001'); // RDBUFF: FAULT
    expect(r.write(0, 0, 0x08)).toBe('100'); // ABORT.WDERRCLR
    expect(r.read(0, 4).data! & 0x80).toBe(0);
  });

  it('a turnaround the host does not match desynchronises the exchange (DLCR.TURNROUND)', () => {
    const r = rig();
    r.reset();
    r.read(0, 0);
    r.write(0, 8, 1); // DPBANKSEL 1: DLCR
    r.write(0, 4, 0x100); // TURNROUND = 2 cycles
    const wrong = r.read(0, 0, 1);
    expect(wrong.ack).not.toBe('100');
    r.reset();
    r.read(0, 0, 2);
    expect(r.read(0, 0, 2)).toMatchObject({ ack: '100', data: 0x0bb11477 });
  });

  it('WAIT has no data phase unless ORUNDETECT, which also sets STICKYORUN', () => {
    const r = rig({ waitsPerApAccess: 1 });
    r.reset();
    r.read(0, 0);
    r.write(0, 4, 0x50000000);
    r.read(0, 4); r.read(0, 4);
    r.read(1, 0); // posts a CSW read; the next AP access waits once
    r.drive(r.header(1, 1, 0)); r.listen(1);
    expect(r.listen(3).join('')).toBe('010'); // WAIT
    r.listen(1); // turnaround only: no data phase
    expect(r.read(0, 0)).toMatchObject({ ack: '100', data: 0x0bb11477 });

    r.write(0, 4, 0x50000001); // ORUNDETECT
    r.read(1, 0);
    r.drive(r.header(1, 0, 0)); r.listen(1);
    expect(r.listen(3).join('')).toBe('010');
    r.listen(1);
    r.drive(r.bitsOf(0)); // the data phase ORUNDETECT requires (ignored by the target)
    const ctrl = r.read(0, 4);
    expect(ctrl.ack).toBe('100');
    expect(ctrl.data! & 0x2).toBe(0x2); // STICKYORUN
    expect(r.read(1, 0).ack).toBe('001'); // FAULT while sticky
    r.write(0, 0, 0x10); // ORUNERRCLR
    expect(r.read(0, 4).data! & 0x2).toBe(0);
  });

  it('with ORUNDETECT, a host that skips the data phase after WAIT loses the next request into it', () => {
    const r = rig({ waitsPerApAccess: 1 });
    r.reset();
    r.read(0, 0);
    r.write(0, 4, 0x50000001);
    r.read(0, 4); r.read(0, 4);
    r.read(1, 0);
    r.drive(r.header(1, 0, 0)); r.listen(1);
    expect(r.listen(3).join('')).toBe('010');
    r.listen(1);
    // The host goes straight on with a DPIDR read: its bits fall into the ignored data phase.
    expect(r.read(0, 0).ack).not.toBe('100');
  });

  it('the JTAG-to-SWD select sequence 0xE79E switches an SWJ-DP; 0xE73C switches back', () => {
    const t = createMemoryTarget({ chip: 'cortex-m4' });
    const w = t.wire;
    expect(w.mode).toBe('jtag');
    const seq = (v: number) => { for (let i = 0; i < 16; i++) w.clock(((v >> i) & 1) as Bit); };
    const high = () => { for (let i = 0; i < 50; i++) w.clock(1); };
    high(); seq(0xe79e);
    expect(w.mode).toBe('swd');
    high(); seq(0xe73c);
    expect(w.mode).toBe('jtag');
  });

  describe('dormant state (ADIv5.2 B5.3)', () => {
    const ALERT = 0x19bc0ea2e3ddafe986852d956209f392n;
    const bits = (v: bigint | number, n: number): Bit[] => Array.from({ length: n }, (_, i) => Number((BigInt(v) >> BigInt(i)) & 1n) as Bit);
    const wake = (w: { clock(b: Bit): unknown }) => {
      for (const b of [...Array(8).fill(1), ...bits(ALERT, 128), 0, 0, 0, 0, ...bits(0x1a, 8)] as Bit[]) w.clock(b);
    };

    it('SWD-to-dormant (0xE3BC after a line reset) silences the DP; the selection alert and activation code 0x1A wake it', () => {
      const r = rig();
      r.reset();
      expect(r.read(0, 0).ack).toBe('100');
      r.drive(Array(50).fill(1)); r.drive(bits(0xe3bc, 16));
      expect(r.w.mode).toBe('dormant');
      r.reset();
      expect(r.read(0, 0).ack).toBe('111'); // a line reset does not wake a dormant DP
      wake(r.w);
      expect(r.w.mode).toBe('swd');
      r.reset();
      expect(r.read(0, 0)).toMatchObject({ ack: '100', data: 0x0bb11477 });
    });

    it('JTAG-to-dormant (0x33BBBBBA after ≥ 5 TMS high), then a wrong activation code leaves it dormant', () => {
      const t = createMemoryTarget({ chip: 'cortex-m4' });
      const w = t.wire;
      for (const b of [...Array(5).fill(1), ...bits(0x33bbbbba, 31)] as Bit[]) w.clock(b);
      expect(w.mode).toBe('dormant');
      for (const b of [...Array(8).fill(1), ...bits(ALERT, 128), 0, 0, 0, 0, ...bits(0x0a, 8)] as Bit[]) w.clock(b);
      expect(w.mode).toBe('dormant');
      wake(w);
      expect(w.mode).toBe('swd');
    });
  });
});
