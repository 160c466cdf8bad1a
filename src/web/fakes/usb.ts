/**
 * A fake `navigator.usb` whose devices are simulators' USB functions in the page, with the
 * WebUSB API's rules (WICG WebUSB): requestDevice() needs a `filters` list (vendorId,
 * productId — only with vendorId —, classCode/subclassCode/protocolCode matched against the
 * device or any interface, serialNumber) and rejects NotFoundError when nothing is chosen;
 * open() before anything else; `configuration` is null until selectConfiguration(); an
 * interface must be claimed before its endpoints carry transfers; transferOut()/transferIn()
 * name the endpoint number (no direction bit) and must match its direction and type; an IN
 * transfer ends with the device's next transfer (a short packet), 'babble' when that is longer
 * than asked; close() cancels pending transfers (AbortError); unplugging rejects everything
 * with NotFoundError and fires 'disconnect' (USBConnectionEvent.device) on navigator.usb.
 */
import type { PacketDevice } from '../../link/types.js';
import type { WebUsbDevice, WebUsbEndpoint } from '../../link/webusb-dap.js';

function domError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export interface FakeUsbInterfaceSpec {
  interfaceClass: number;
  interfaceSubclass?: number;
  interfaceProtocol?: number;
  /** The interface string (iInterface); CMSIS-DAP v2 probes put "CMSIS-DAP" in it. */
  interfaceName: string;
  endpoints: WebUsbEndpoint[];
  /** Bulk function behind the interface: what goes OUT reaches it, what it sends comes IN. */
  function?: PacketDevice;
}

export interface FakeUsbSpec {
  vendorId: number;
  productId: number;
  deviceClass?: number;
  manufacturerName: string;
  productName: string;
  serialNumber: string;
  /** bcdDevice. */
  deviceVersion: [number, number];
  interfaces: FakeUsbInterfaceSpec[];
  /** Milliseconds an OUT transfer takes (a full-speed frame: 1 ms); 0 = none. */
  msPerTransfer?: number;
}

interface PendingIn { length: number; resolve: (r: { status: 'ok' | 'babble'; data: DataView }) => void; reject: (e: Error) => void }

export class FakeUsbDevice {
  opened = false;
  lost = false;
  configuration: { configurationValue: number; configurationName: string | null; interfaces: FakeUsbInterface[] } | null = null;
  readonly configurations: Array<{ configurationValue: number; configurationName: string | null; interfaces: FakeUsbInterface[] }>;
  transfersOut = 0;
  private readonly claimed = new Set<number>();
  private readonly pendingIn = new Map<number, PendingIn[]>();
  private readonly queuedIn = new Map<number, Uint8Array[]>();

  constructor(readonly spec: FakeUsbSpec, private readonly owner: FakeUsb) {
    const interfaces = spec.interfaces.map((s, n) => new FakeUsbInterface(n, s, this.claimed));
    this.configurations = [{ configurationValue: 1, configurationName: null, interfaces }];
    for (const i of interfaces) {
      const inEp = i.spec.endpoints.find((e) => e.direction === 'in' && e.type === 'bulk');
      // The function answers whenever it likes; a response waits in the endpoint until an IN transfer asks.
      i.spec.function?.onPacket((p) => { if (inEp && this.opened && !this.lost && this.claimed.has(i.interfaceNumber)) this.deliverIn(inEp.endpointNumber, p); });
    }
  }

  get vendorId(): number { return this.spec.vendorId; }
  get productId(): number { return this.spec.productId; }
  get deviceClass(): number { return this.spec.deviceClass ?? 0; }
  get manufacturerName(): string { return this.spec.manufacturerName; }
  get productName(): string { return this.spec.productName; }
  get serialNumber(): string { return this.spec.serialNumber; }
  get deviceVersionMajor(): number { return this.spec.deviceVersion[0]; }
  get deviceVersionMinor(): number { return this.spec.deviceVersion[1]; }

  private live(): void {
    if (this.lost) throw domError('NotFoundError', 'The device was disconnected.');
  }

  async open(): Promise<void> {
    this.live();
    this.opened = true; // opening an open device is allowed (it resolves at once)
  }

  async close(): Promise<void> {
    this.live();
    this.cancelAll(domError('AbortError', 'The transfer was cancelled.'));
    this.claimed.clear();
    this.opened = false;
  }

  async selectConfiguration(value: number): Promise<void> {
    this.live();
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    const c = this.configurations.find((x) => x.configurationValue === value);
    if (!c) throw domError('NotFoundError', 'The configuration value provided is not supported by the device.');
    this.claimed.clear();
    this.configuration = c;
  }

  async claimInterface(n: number): Promise<void> {
    this.live();
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    if (!this.configuration?.interfaces.some((i) => i.interfaceNumber === n)) throw domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.');
    this.claimed.add(n);
  }

  async releaseInterface(n: number): Promise<void> {
    this.live();
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    if (!this.configuration?.interfaces.some((i) => i.interfaceNumber === n)) throw domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.');
    this.claimed.delete(n);
  }

  /** The claimed interface's endpoint, by number and direction, or the DOMException WebUSB gives. */
  private endpoint(number: number, direction: 'in' | 'out'): { iface: FakeUsbInterface; ep: WebUsbEndpoint } {
    this.live();
    if (!this.opened) throw domError('InvalidStateError', 'The device must be opened first.');
    for (const iface of this.configuration?.interfaces ?? []) {
      if (!this.claimed.has(iface.interfaceNumber)) continue;
      const ep = iface.spec.endpoints.find((e) => e.endpointNumber === number && e.direction === direction);
      if (ep) return { iface, ep };
    }
    throw domError('NotFoundError', `The specified endpoint is not part of a claimed and selected alternate interface (${direction.toUpperCase()} ${number}).`);
  }

  async transferOut(endpointNumber: number, data: ArrayBufferView | ArrayBuffer): Promise<{ status: 'ok'; bytesWritten: number }> {
    const { iface, ep } = this.endpoint(endpointNumber, 'out');
    if (ep.type !== 'bulk' && ep.type !== 'interrupt') throw domError('InvalidAccessError', 'The specified endpoint is not a bulk or interrupt endpoint.');
    const bytes = data instanceof Uint8Array ? data.slice() : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() : new Uint8Array(data).slice();
    const ms = this.spec.msPerTransfer ?? 1;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    this.live();
    if (!this.opened) throw domError('AbortError', 'The transfer was cancelled.');
    this.transfersOut++;
    await iface.spec.function?.write(bytes);
    return { status: 'ok', bytesWritten: bytes.length };
  }

  async transferIn(endpointNumber: number, length: number): Promise<{ status: 'ok' | 'babble'; data: DataView }> {
    const { ep } = this.endpoint(endpointNumber, 'in');
    if (ep.type !== 'bulk' && ep.type !== 'interrupt') throw domError('InvalidAccessError', 'The specified endpoint is not a bulk or interrupt endpoint.');
    const queued = this.queuedIn.get(endpointNumber)?.shift();
    if (queued) return inResult(queued, length);
    return new Promise((resolve, reject) => {
      const list = this.pendingIn.get(endpointNumber) ?? [];
      list.push({ length, resolve, reject });
      this.pendingIn.set(endpointNumber, list);
    });
  }

  private deliverIn(endpoint: number, packet: Uint8Array): void {
    const waiting = this.pendingIn.get(endpoint)?.shift();
    if (waiting) { waiting.resolve(inResult(packet, waiting.length)); return; }
    const q = this.queuedIn.get(endpoint) ?? [];
    q.push(packet.slice());
    this.queuedIn.set(endpoint, q);
  }

  private cancelAll(e: Error): void {
    for (const list of this.pendingIn.values()) for (const p of list.splice(0)) p.reject(e);
    this.queuedIn.clear();
  }

  /** The cable is pulled: pending and later calls fail, 'disconnect' fires on navigator.usb. */
  unplug(): void {
    if (this.lost) return;
    this.lost = true;
    this.cancelAll(domError('NotFoundError', 'The device was disconnected.'));
    this.opened = false;
    this.owner.dispatchEvent(Object.assign(new Event('disconnect'), { device: this }));
  }
}

function inResult(packet: Uint8Array, length: number): { status: 'ok' | 'babble'; data: DataView } {
  const n = Math.min(packet.length, length);
  return { status: packet.length > length ? 'babble' : 'ok', data: new DataView(packet.slice(0, n).buffer) };
}

export class FakeUsbInterface {
  constructor(readonly interfaceNumber: number, readonly spec: FakeUsbInterfaceSpec, private readonly claimedSet: Set<number>) {}
  get claimed(): boolean { return this.claimedSet.has(this.interfaceNumber); }
  get alternate() {
    const s = this.spec;
    return { alternateSetting: 0, interfaceClass: s.interfaceClass, interfaceSubclass: s.interfaceSubclass ?? 0, interfaceProtocol: s.interfaceProtocol ?? 0, interfaceName: s.interfaceName, endpoints: s.endpoints };
  }
  get alternates() { return [this.alternate]; }
}

export interface FakeUsbFilter { vendorId?: number; productId?: number; classCode?: number; subclassCode?: number; protocolCode?: number; serialNumber?: string }

function matches(d: FakeUsbDevice, f: FakeUsbFilter): boolean {
  if (f.vendorId !== undefined && f.vendorId !== d.vendorId) return false;
  if (f.productId !== undefined && f.productId !== d.productId) return false;
  if (f.serialNumber !== undefined && f.serialNumber !== d.serialNumber) return false;
  if (f.classCode === undefined) return true;
  // Class filters match the device's class or any interface's (WebUSB "matches a filter").
  const classes = [{ c: d.deviceClass, s: 0, p: 0 }, ...d.spec.interfaces.map((i) => ({ c: i.interfaceClass, s: i.interfaceSubclass ?? 0, p: i.interfaceProtocol ?? 0 }))];
  return classes.some((x) => x.c === f.classCode && (f.subclassCode === undefined || x.s === f.subclassCode) && (f.protocolCode === undefined || x.p === f.protocolCode));
}

export class FakeUsb extends EventTarget {
  readonly devices: FakeUsbDevice[] = [];
  private granted = new Set<FakeUsbDevice>();
  /** Which device the "chooser" picks (a real browser asks the user); undefined = cancelled. */
  choose: (devices: readonly FakeUsbDevice[]) => FakeUsbDevice | undefined = (d) => d[0];

  plug(spec: FakeUsbSpec): FakeUsbDevice {
    const d = new FakeUsbDevice(spec, this);
    this.devices.push(d);
    this.dispatchEvent(Object.assign(new Event('connect'), { device: d }));
    return d;
  }

  async requestDevice(options: { filters: FakeUsbFilter[] }): Promise<FakeUsbDevice> {
    if (!options || !Array.isArray(options.filters)) throw new TypeError("Failed to execute 'requestDevice' on 'USB': required member filters is undefined.");
    for (const f of options.filters) {
      if (f.productId !== undefined && f.vendorId === undefined) throw new TypeError('A filter containing a productId must also contain a vendorId.');
      if (f.subclassCode !== undefined && f.classCode === undefined) throw new TypeError('A filter containing a subclassCode must also contain a classCode.');
      if (f.protocolCode !== undefined && f.subclassCode === undefined) throw new TypeError('A filter containing a protocolCode must also contain a subclassCode.');
    }
    const candidates = this.devices.filter((d) => !d.lost && (options.filters.length === 0 || options.filters.some((f) => matches(d, f))));
    const picked = this.choose(candidates);
    if (!picked) throw domError('NotFoundError', 'No device selected.');
    this.granted.add(picked);
    return picked;
  }

  async getDevices(): Promise<FakeUsbDevice[]> {
    return this.devices.filter((d) => this.granted.has(d) && !d.lost);
  }
}

/** The fake satisfies the adapter's structural type (compile-time check). */
export const asWebUsb = (d: FakeUsbDevice): WebUsbDevice => d;
