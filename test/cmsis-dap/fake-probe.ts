/**
 * A small scripted CMSIS-DAP probe for the host's unit tests: a PacketDevice that answers
 * DAP_Info, Connect, SWJ/SWD setup, Transfer (with value match) and TransferBlock against an
 * ADIv5 DP and one MEM-AP over sparse memory, with a few Cortex-M debug registers. It is a
 * test double that records what the host sent (and how many packets were queued at once);
 * the strict simulator lives in src/sim/cmsis-dap.
 *
 * Deliberately strict where the host must be careful: TAR auto-increment wraps inside its
 * 1 KiB block (as silicon may), AP accesses before power-up and bus errors FAULT until ABORT,
 * after a line reset only a DPIDR read is answered.
 */
import type { PacketDevice } from '../../src/link/types.js';

export interface FakeProbeOptions {
  packetSize?: number;
  packetCount?: number;
  /** Addresses from here up give a bus error. */
  faultFrom?: number;
  fpbRev?: 1 | 2;
  /** CPUID (default Cortex-M4 r0p1); TAR auto-increment wraps at 4 KiB for M3/M4, else 1 KiB. */
  cpuid?: number;
  /** Claim atomic commands in DAP_Info capabilities although DAP_ExecuteCommands answers DAP_ERROR (a firmware bug). */
  claimAtomic?: boolean;
  /** A Kinetis MDM-AP at AP 1; `secured` makes AP 0 answer FAULT until a mass erase. */
  kinetis?: { secured: boolean; massEraseEnabled?: boolean };
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0);
const le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export class FakeProbe implements PacketDevice {
  readonly maxPacketSize: number;
  readonly sent: Uint8Array[] = [];
  queued = 0;
  maxQueued = 0;
  private listener?: (p: Uint8Array) => void;
  readonly memory = new Map<number, number>();
  // DP/AP state
  lineReset = false;
  powered = false;
  sticky = 0;
  select = 0;
  csw = 0x23000040;
  tar = 0;
  matchMask = 0xffffffff;
  // Cortex-M state
  halted = false;
  debugEn = false;
  regs = new Array<number>(19).fill(0);
  dcrdr = 0;
  demcr = 0;
  fpCtrl: number;
  fpComp = new Array<number>(6).fill(0);
  resets = 0;
  mdmControl = 0;
  massErases = 0;
  nReset = true;

  constructor(readonly options: FakeProbeOptions = {}) {
    this.maxPacketSize = options.packetSize ?? 64;
    this.fpCtrl = ((options.fpbRev ?? 2) === 2 ? 0x10000000 : 0) | (6 << 4);
  }

  onPacket(listener: (p: Uint8Array) => void): void { this.listener = listener; }
  onClose(): void {}
  async close(): Promise<void> {}

  async write(packet: Uint8Array): Promise<void> {
    this.sent.push(packet.slice());
    this.queued++;
    this.maxQueued = Math.max(this.maxQueued, this.queued);
    const response = this.process(packet);
    setImmediate(() => { this.queued--; this.listener?.(Uint8Array.from(response)); });
  }

  private process(p: Uint8Array): number[] {
    const cmd = p[0]!;
    switch (cmd) {
      case 0x00: {
        const id = p[1]!;
        const strings: Record<number, string> = { 1: 'Fake', 2: 'Fake CMSIS-DAP', 3: 'FAKE0001', 4: '2.1.0', 9: '1.0' };
        if (id === 0xff) return [0, 2, ...le(this.maxPacketSize).slice(0, 2)];
        if (id === 0xfe) return [0, 1, this.options.packetCount ?? 4];
        // SWD only: no atomic commands (bit 4), which this fake does not implement.
        if (id === 0xf0) return [0, 1, this.options.claimAtomic ? 0x11 : 0x01];
        const s = strings[id];
        return s ? [0, s.length + 1, ...Array.from(s, (c) => c.charCodeAt(0)), 0] : [0, 0];
      }
      case 0x02: return [0x02, p[1] === 2 ? 0 : 1];
      case 0x12: {
        const ones = p[1]! >= 50 && Array.from(p.subarray(2)).every((x) => x === 0xff);
        if (ones) { this.lineReset = true; this.select = 0; }
        return [0x12, 0];
      }
      case 0x10: {
        if (p[2]! & 0x80) {
          const high = !!(p[1]! & 0x80);
          if (!this.nReset && high) this.systemReset();
          this.nReset = high;
        }
        return [0x10, this.nReset ? 0x80 : 0];
      }
      case 0x08: this.abort(u32(p, 2)); return [0x08, 0];
      case 0x05: return this.transfer(p);
      case 0x06: return this.block(p);
      case 0x01: case 0x03: case 0x04: case 0x09: case 0x11: case 0x13: return [cmd, 0];
      default: return [0xff];
    }
  }

  private abort(v: number): void {
    if (v & 0x1e) this.sticky = 0;
  }

  /** One DP/AP access: [ack, value]. */
  private access(req: number, value: number): [number, number] {
    const ap = !!(req & 1);
    const read = !!(req & 2);
    const a = req & 0x0c;
    if (this.lineReset && !(!ap && read && a === 0)) return [7, 0];
    if (!ap) {
      if (read && a === 0) { this.lineReset = false; return [1, 0x2ba01477]; }
      if (!read && a === 0) { this.abort(value); return [1, 0]; }
      if (a === 4) {
        if (read) return [1, (this.powered ? 0xf0000000 : 0) | this.sticky];
        this.powered = (value & 0x50000000) === 0x50000000;
        return [1, 0];
      }
      if (a === 8 && !read) { this.select = value; return [1, 0]; }
      if (a === 0xc && read) return [1, 0];
      return [1, 0];
    }
    if (this.sticky || !this.powered) { this.sticky |= 0x20; return [4, 0]; }
    const apsel = this.select >>> 24;
    const reg = (this.select & 0xf0) | a;
    const k = this.options.kinetis;
    if (apsel === 1 && k) {
      if (reg === 0xfc) return [1, 0x001c0000];
      if (reg === 0x00 && read) return [1, 0x2 | (k.secured ? 0x4 : 0) | (k.massEraseEnabled === false ? 0 : 0x20)];
      if (reg === 0x04 && read) return [1, this.mdmControl];
      if (reg === 0x04) {
        this.mdmControl = value & 0x19;
        // The erase completes at once here: flash blank, security off until the next reset.
        if (value & 1 && k.massEraseEnabled !== false) { this.memory.clear(); k.secured = false; this.massErases++; this.mdmControl &= ~1; }
        return [1, 0];
      }
      return [1, 0];
    }
    if (apsel !== 0) return [1, 0];
    // Secured: the AHB-AP is there (IDR, CSW read) but every bus access through it faults.
    if (k?.secured && reg === 0x0c) { this.sticky |= 0x20; return [4, 0]; }
    switch (reg) {
      case 0x00: if (read) return [1, this.csw]; this.csw = (this.csw & 0xffffff00) | (value & 0x37) | 0x40; return [1, 0];
      case 0x04: if (read) return [1, this.tar]; this.tar = value >>> 0; return [1, 0];
      case 0x0c: {
        const size = this.csw & 7;
        const addr = this.tar;
        if (addr >= (this.options.faultFrom ?? 0x60000000) && addr < 0xe0000000) { this.sticky |= 0x20; return [4, 0]; }
        let result = 0;
        if (read) result = this.load(addr, size);
        else this.store(addr, size, value);
        if ((this.csw & 0x30) === 0x10) {
          const step = 1 << size;
          // Auto-increment wraps inside its block: a host that forgets TAR at the boundary reads the wrong bytes.
          const part = ((this.options.cpuid ?? 0x410fc241) >>> 4) & 0xfff;
          const m = part === 0xc23 || part === 0xc24 ? 0xfff : 0x3ff;
          this.tar = ((addr & ~m) | ((addr + step) & m)) >>> 0;
        }
        return [1, result];
      }
      case 0x10: case 0x14: case 0x18: case 0x1c: {
        // Banked data registers: the word at (TAR & ~0xF) + n·4, TAR unchanged.
        const addr = ((this.tar & ~0xf) + (reg - 0x10)) >>> 0;
        if (read) return [1, this.readWord(addr)];
        this.writeWord(addr, value);
        return [1, 0];
      }
      case 0xf8: return [1, 0xe00ff003];
      case 0xfc: return [1, 0x24770011];
      default: return [1, 0];
    }
  }

  private load(addr: number, size: number): number {
    const w = (addr & ~3) >>> 0;
    const word = this.readWord(w);
    return size === 2 ? word : word; // byte lanes: data appears in its lane, as on an AHB-AP
  }

  private store(addr: number, size: number, value: number): void {
    const w = (addr & ~3) >>> 0;
    if (size === 2) { this.writeWord(w, value); return; }
    const bytes = size === 0 ? [addr & 3] : [addr & 2, (addr & 2) + 1];
    for (const lane of bytes) this.memory.set(w + lane, (value >>> (8 * lane)) & 0xff);
  }

  readWord(addr: number): number {
    switch (addr >>> 0) {
      case 0xe000edf0: return (this.debugEn ? 1 : 0) | (this.halted ? 0x30002 : 0) | 0x10000;
      case 0xe000edf8: return this.dcrdr;
      case 0xe000edfc: return this.demcr;
      case 0xe000ed00: return this.options.cpuid ?? 0x410fc241;
      case 0xe0002000: return this.fpCtrl;
      default: {
        if (addr >= 0xe0002008 && addr < 0xe0002020) return this.fpComp[(addr - 0xe0002008) / 4]!;
        let v = 0;
        for (let i = 0; i < 4; i++) v |= (this.memory.get(addr + i) ?? 0) << (8 * i);
        return v >>> 0;
      }
    }
  }

  writeWord(addr: number, value: number): void {
    switch (addr >>> 0) {
      case 0xe000edf0:
        if ((value >>> 16) !== 0xa05f) return;
        this.debugEn = !!(value & 1);
        // C_HALT stops the core; C_STEP runs one instruction and halts again; neither lets it run.
        this.halted = !!(value & 2) || !!(value & 4);
        return;
      case 0xe000edf4: {
        const n = value & 0x7f;
        if (value & 0x10000) this.regs[n] = this.dcrdr;
        else this.dcrdr = this.regs[n] ?? 0;
        return;
      }
      case 0xe000edf8: this.dcrdr = value >>> 0; return;
      case 0xe000edfc: this.demcr = value >>> 0; return;
      case 0xe000ed0c: if ((value >>> 16) === 0x05fa && value & 4) this.systemReset(); return;
      case 0xe0002000: if (value & 2) this.fpCtrl = (this.fpCtrl & ~1) | (value & 1); return;
      default:
        if (addr >= 0xe0002008 && addr < 0xe0002020) { this.fpComp[(addr - 0xe0002008) / 4] = value >>> 0; return; }
        for (let i = 0; i < 4; i++) this.memory.set(addr + i, (value >>> (8 * i)) & 0xff);
    }
  }

  private systemReset(): void {
    this.resets++;
    this.halted = !!(this.demcr & 1);
    this.regs[15] = 0x100;
  }

  private transfer(p: Uint8Array): number[] {
    const count = p[2]!;
    const out: number[] = [];
    let o = 3;
    let done = 0;
    let ack = 1;
    let mismatch = false;
    for (let i = 0; i < count; i++) {
      const req = p[o++]!;
      const read = !!(req & 2);
      let value = 0;
      if (!read || req & 0x10) { value = u32(p, o); o += 4; }
      if (!read && req & 0x20) { this.matchMask = value; done++; continue; }
      const [a, v] = this.access(req, value);
      ack = a;
      if (a !== 1) break;
      if (read && req & 0x10) {
        if (((v & this.matchMask) >>> 0) !== (value >>> 0)) { mismatch = true; break; }
      } else if (read) out.push(...le(v));
      done++;
    }
    return [0x05, done, ack | (mismatch ? 0x10 : 0), ...out];
  }

  private block(p: Uint8Array): number[] {
    const count = p[2]! | (p[3]! << 8);
    const req = p[4]!;
    const read = !!(req & 2);
    const out: number[] = [];
    let done = 0;
    let ack = 1;
    for (let i = 0; i < count; i++) {
      const [a, v] = this.access(req, read ? 0 : u32(p, 5 + 4 * i));
      ack = a;
      if (a !== 1) break;
      if (read) out.push(...le(v));
      done++;
    }
    return [0x06, done & 0xff, done >> 8, ack, ...out];
  }
}
