/**
 * flashwright in the browser: the page's wiring. Image in, way in, plan drawn before any
 * write, then write / verify / read / erase through the same engine (src/flash) and
 * programmers the CLI uses, with progress, cancel and the doctor's explanation on failure.
 */
import { CancelledError } from '../core/errors.js';
import { formatSize, hex, parseNumber } from '../core/format.js';
import { diagnose } from '../doctor/diagnose.js';
import { eraseRange, planWrite, readMemoryRange, verifyImage, writeImage } from '../flash/engine.js';
import type { FlashEvent } from '../flash/events.js';
import { encodeImage, loadImage, formatLabel, type LoadedImage } from '../image/formats.js';
import { MemoryImage } from '../image/memory-image.js';
import { LINE_PRESETS } from '../link/line-sequence.js';
import type { DeviceInfo, Programmer } from '../programmer/types.js';
import { isFlashLike } from '../target/geometry.js';
import { findTarget, listTargets } from '../target/lookup.js';
import { openProgrammer, requestLink, type ConnectionChoice, type WebLink } from './connection.js';
import { $, download, el, regionLabel, table } from './dom.js';
import { renderFailure, renderReport } from './explain.js';
import { SIMULATED, SIMULATED_TARGETS, createSimulatedSerial, type WayIn } from './fakes/devices.js';
import { registerOffline } from './offline.js';
import { renderFindings, renderPlan } from './plan-view.js';
import { PagePacks, describePackChoice } from './packs.js';

interface State {
  file?: { name: string; data: Uint8Array } | undefined;
  loaded?: LoadedImage | undefined;
  link?: WebLink | undefined;
  portSource?: string | undefined;
  busy: boolean;
  abort?: AbortController | undefined;
  sims?: ReturnType<typeof createSimulatedSerial> | undefined;
}

const state: State = { busy: false };
const input = (id: string) => $(id) as HTMLInputElement;
const select = (id: string) => $(id) as HTMLSelectElement;
const ACTIONS = ['connect', 'plan', 'write', 'verify', 'read', 'erase'];

function setup(): void {
  for (const s of SIMULATED) select('source').append(new Option(`Simulated: ${s.label}`, `sim:${s.id}`));
  for (const [name, p] of Object.entries(LINE_PRESETS)) select('entry').append(new Option(`${name} — ${p.description}`, name));
  const list = $('targets');
  for (const t of listTargets()) list.append(new Option(`${t.name} — ${t.vendor} ${t.family}, ${t.core}${t.aliases?.length ? ` (${t.aliases.join(', ')})` : ''}`, t.name));
  select('source').addEventListener('change', onSource);
  select('way').addEventListener('change', onWay);
  onWay();
  input('file').addEventListener('change', () => { const f = input('file').files?.[0]; if (f) void takeFile(f); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); const f = e.dataTransfer?.files[0]; if (f) void takeFile(f); });
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input('file').click(); } });
  input('base').addEventListener('change', () => showImage());
  input('target').addEventListener('change', () => { showPackPart(); showImage(); });
  input('pack').addEventListener('change', () => { const f = input('pack').files?.[0]; if (f) void takePack(f); });
  $('connect').addEventListener('click', () => void act('info', async (_p, device) => showDevice(device)));
  $('plan').addEventListener('click', () => void act('plan', doPlan));
  $('write').addEventListener('click', () => void act('write', doWrite));
  $('verify').addEventListener('click', () => void act('verify', doVerify));
  $('read').addEventListener('click', () => void act('read', doRead));
  $('erase').addEventListener('click', () => void act('erase', doErase));
  $('cancel').addEventListener('click', () => state.abort?.abort(new CancelledError()));
  $('doctor-run').addEventListener('click', () => {
    const out = $('doctor-out');
    out.replaceChildren(renderReport(diagnose((input('doctor-log') as unknown as HTMLTextAreaElement).value)));
  });
  window.addEventListener('hashchange', route);
  route();
  registerOffline($('offline-status'));
  // Interactive from here: the bench line of the browser test reads this mark.
  performance.mark('flashwright-ready');
}

function route(): void {
  const doctor = location.hash === '#doctor';
  $('page-flash').hidden = doctor;
  $('page-doctor').hidden = !doctor;
  $('nav-flash').toggleAttribute('aria-current', !doctor);
  $('nav-doctor').toggleAttribute('aria-current', doctor);
  if (doctor) $('nav-doctor').setAttribute('aria-current', 'page'); else $('nav-flash').setAttribute('aria-current', 'page');
}

function onSource(): void {
  state.link = undefined;
  const v = select('source').value;
  const sim = SIMULATED.find((s) => `sim:${s.id}` === v);
  if (sim) {
    select('way').value = sim.way;
    input('baud').value = sim.way === 'stm32-uart' ? '115200' : '57600';
    const chip = SIMULATED_TARGETS[sim.id];
    if (chip) { input('target').value = chip; showImage(); }
    select('way').dispatchEvent(new Event('change'));
  }
}

/** Baud and the DTR/RTS presets belong to the UART ways in only. */
function onWay(): void {
  const uart = ['stm32-uart', 'mcuboot-uart'].includes(select('way').value);
  for (const id of ['baud', 'entry']) ($(id).closest('label') as HTMLElement).hidden = !uart;
}

/** The part the target field names: a pack opened in the page first (as the CLI puts installed packs first), else a built-in. */
function chosenTarget() {
  const text = input('target').value.trim();
  return text ? packs.find(text)?.pack.target ?? findTarget(text) : undefined;
}

const packs = new PagePacks();

async function takePack(file: File): Promise<void> {
  const info = $('pack-info');
  try {
    const { pack, parts } = packs.add(new Uint8Array(await file.arrayBuffer()), file.name);
    const list = $('targets');
    for (const e of parts) list.prepend(new Option(`${e.name} — ${e.family}, ${e.core} (pack ${pack.id})`, e.name));
    info.replaceChildren(el('p', { text: `${file.name}: pack ${pack.id} ${pack.pdsc.version}, ${parts.length} part(s) added to the search: ${parts.map((e) => e.name).join(', ')}.` }));
    showPackPart();
  } catch (e) {
    info.replaceChildren(el('p', { class: 'failure', text: `Cannot read ${file.name}: ${(e as Error).message}` }));
  }
}

function showPackPart(): void {
  const text = input('target').value.trim();
  const box = $('pack-info');
  box.querySelector('.pack-part')?.remove();
  try {
    const c = text ? packs.find(text) : undefined;
    if (c) box.append(describePackChoice(c));
  } catch (e) {
    box.append(el('p', { class: 'pack-part failure', text: `${text}: ${(e as Error).message}` }));
  }
}

async function takeFile(file: File): Promise<void> {
  state.file = { name: file.name, data: new Uint8Array(await file.arrayBuffer()) };
  showImage();
}

function showImage(): void {
  const box = $('image-info');
  if (!state.file) return;
  try {
    const baseText = input('base').value.trim();
    const base = baseText ? parseNumber(baseText) : undefined;
    if (baseText && base === undefined) throw new Error(`'${baseText}' is not an address (use hex such as 0x08000000).`);
    const flash = chosenTarget()?.regions.find(isFlashLike);
    state.loaded = loadImage(state.file.data, {
      source: state.file.name,
      base,
      ...(flash && base === undefined ? { defaultBase: { address: flash.start, what: `the boot flash of ${chosenTarget()!.name}` } } : {}),
    });
    const { image } = state.loaded;
    box.replaceChildren(
      el('p', { text: `${state.file.name}: ${formatLabel(state.loaded.format)}, ${image.size} data bytes in ${image.segmentCount} segment(s), entry ${image.entryPoint === undefined ? 'none given' : hex(image.entryPoint)}, CRC-32 ${hex(image.crc32())}.` }),
      table(['Segment', 'Start', 'End', 'Bytes'], image.segments.map((s, i) => [String(i + 1), hex(s.address), hex(s.address + s.data.length - 1), String(s.data.length)]), [1, 2, 3]),
      ...state.loaded.warnings.map((w) => el('p', { class: 'finding warning', text: w })),
    );
  } catch (e) {
    state.loaded = undefined;
    box.replaceChildren(el('p', { class: 'failure', text: `Cannot read ${state.file.name}: ${(e as Error).message}` }));
  }
}

async function linkFor(): Promise<WebLink> {
  const source = select('source').value;
  const way = select('way').value as WayIn;
  const kind = way === 'cmsis-dap-v2' ? 'usb' : way === 'mcuboot-hid' || way === 'cmsis-dap-v1' ? 'hid' : 'serial';
  if (state.link && state.portSource === `${source}/${kind}`) return state.link;
  let link: WebLink;
  if (source.startsWith('sim:')) {
    state.sims ??= createSimulatedSerial(1);
    const chip = state.sims.chips.find((c) => `sim:${c.id}` === source);
    if (!chip) throw new Error(`No simulated chip ${source}`);
    link = chip.usb ? { kind: 'usb', device: chip.usb } : chip.hid ? { kind: 'hid', device: chip.hid, hid: state.sims.hid } : { kind: 'serial', port: chip.port! };
  } else {
    link = await requestLink(way);
  }
  state.link = link;
  state.portSource = `${source}/${kind}`;
  return link;
}

function choice(): ConnectionChoice {
  const baud = parseNumber(input('baud').value.trim()) ?? 115200;
  const pack = packs.find(input('target').value);
  return { way: select('way').value as WayIn, baud, entry: select('entry').value, target: chosenTarget(), algorithm: pack?.algorithm, accessPort: pack?.pack.debug.ap };
}

type Action = (p: Programmer, device: DeviceInfo, signal: AbortSignal, onEvent: (e: FlashEvent) => void) => Promise<void>;

// aria-disabled, not disabled: a disabled button loses the keyboard focus, and the user's
// place in the page with it; act() ignores a press while busy, Cancel one while idle.
function setBusy(busy: boolean): void {
  state.busy = busy;
  for (const id of ACTIONS) $(id).setAttribute('aria-disabled', String(busy));
  $('cancel').setAttribute('aria-disabled', String(!busy));
}

function progress(text: string, fraction?: number): void {
  $('progress-text').textContent = text;
  if (fraction !== undefined) $('progress-fill').style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
}

function onEvent(e: FlashEvent): void {
  if (e.type === 'start') progress(`${e.phase}: starting${e.message ? ` — ${e.message}` : ''}`, 0);
  else if (e.type === 'progress') progress(`${e.phase}: ${e.bytesDone} / ${e.totalBytes} bytes (${e.totalBytes ? Math.floor((e.bytesDone / e.totalBytes) * 100) : 0} %)`, e.totalBytes ? e.bytesDone / e.totalBytes : 0);
  else if (e.type === 'finish') progress(`${e.phase}: done, ${e.totalBytes} bytes in ${Math.round(e.elapsedMs)} ms`, 1);
  else if (e.type === 'plan' && state.loaded) {
    const device = lastDevice;
    if (device) $('plan-view').replaceChildren(renderPlan(e.plan, device.target, state.loaded.image, [], 'running'));
  }
}

let lastDevice: DeviceInfo | undefined;

/** One operation: open the port, connect, run, always close; a failure is explained. */
async function act(command: string, fn: Action): Promise<void> {
  if (state.busy) return;
  setBusy(true);
  const abort = new AbortController();
  state.abort = abort;
  $('result').replaceChildren();
  progress(`${command}: connecting…`, 0);
  let programmer: Programmer | undefined;
  try {
    if (['plan', 'write', 'verify'].includes(command) && !state.loaded) throw new Error('Open an image first (step 1).');
    programmer = await openProgrammer(await linkFor(), choice());
    const device = await programmer.connect({ signal: abort.signal, emit: onEvent });
    lastDevice = device;
    showDevice(device);
    await fn(programmer, device, abort.signal, onEvent);
  } catch (e) {
    progress(`${command}: ${e instanceof CancelledError ? 'cancelled' : 'failed'}`);
    $('result').replaceChildren(renderFailure(e, { command, via: select('way').value, target: lastDevice?.target.name }));
    if (e instanceof Error && /plug|lost|disconnect/i.test(e.message + String(e.cause))) state.link = undefined;
  } finally {
    try { await programmer?.close(); } catch { /* the link is gone; the failure says so */ }
    state.abort = undefined;
    setBusy(false);
  }
}

function showDevice(device: DeviceInfo): void {
  const rows: string[][] = [['Target', device.target.name]];
  for (const [k, v] of Object.entries(device.ids)) rows.push([k, typeof v === 'number' ? hex(v, 3) : v]);
  if (device.protection) rows.push(['Protection', device.protection.description]);
  // What a debug probe way in reports: the probe, the core, the flash algorithm loaded.
  for (const [k, label] of [['probeProduct', 'Probe'], ['core', 'Core'], ['algorithm', 'Flash algorithm']] as const) {
    const v = device.details?.[k];
    if (typeof v === 'string' && v) rows.push([label, v]);
  }
  for (const r of device.target.regions) rows.push([`${r.kind} ${regionLabel(r.name)}`, `${hex(r.start)} – ${hex(r.start + r.size - 1)} (${formatSize(r.size)})`]);
  $('device-info').replaceChildren(table(['', ''], rows));
  const line = [device.target.name, ...(device.protection ? [device.protection.description] : []), ...device.target.regions.map((r) => `${regionLabel(r.name)} ${formatSize(r.size)}`)].join(' · ');
  $('device-line').textContent = line;
  $('device-line').title = line;
}

const doPlan: Action = async (p, device, signal, ev) => {
  const prepared = await planWrite(p, device, state.loaded!.image, { signal, onEvent: ev });
  $('plan-view').replaceChildren(renderPlan(prepared.plan, prepared.device.target, state.loaded!.image, prepared.findings));
  progress('plan: ready — nothing was written', 1);
};

const doWrite: Action = async (p, device, signal, ev) => {
  const s = await writeImage(p, device, state.loaded!.image, { signal, onEvent: ev });
  $('plan-view').replaceChildren(renderPlan(s.plan, device.target, state.loaded!.image, s.warnings, 'done'));
  $('result').replaceChildren(el('div', { class: 'ok' },
    el('strong', { text: 'Written and verified. ' }),
    `${s.imageBytes} image bytes on ${s.target}: ${s.sectorsErased} sector(s) erased, ${s.sectorsWritten} written, ${s.sectorsSkipped} skipped, ${s.bytesPreserved} byte(s) kept; verify ${s.verify} over ${s.bytesVerified} bytes; ${Math.round(s.elapsedMs)} ms (${s.kibPerSecond.toFixed(1)} KiB/s).`,
    renderFindings(s.warnings)));
};

const doVerify: Action = async (p, device, signal, ev) => {
  const s = await verifyImage(p, device, state.loaded!.image, { signal, onEvent: ev });
  $('result').replaceChildren(el('div', { class: 'ok', text: `Verified: the device holds the image (${s.bytesVerified} bytes in ${s.ranges} range(s), ${s.method}).` }));
};

const doRead: Action = async (p, device, signal, ev) => {
  // The region the open image goes to (flash, or RAM behind a debug probe), else the first flash.
  const first = state.loaded?.image.start;
  const flash = (first === undefined ? undefined : device.target.regions.find((r) => !r.needsConfiguration && first >= r.start && first < r.start + r.size))
    ?? device.target.regions.find(isFlashLike);
  if (!flash) throw new Error(`${device.target.name} has no flash region to read.`);
  const data = await readMemoryRange(p, device, flash.start, flash.size, { signal, onEvent: ev });
  const format = select('read-format').value as 'bin' | 'hex';
  const bytes = format === 'bin' ? data : encodeImage(MemoryImage.fromSegments([{ address: flash.start, data }]), 'hex');
  const name = `${device.target.name}-${hex(flash.start)}.${format}`;
  download(name, bytes);
  $('result').replaceChildren(el('div', { class: 'ok', text: `Read ${data.length} bytes from ${hex(flash.start)}: saved as ${name}.` }));
};

const doErase: Action = async (p, device, signal, ev) => {
  const s = await eraseRange(p, device, 'all', { signal, onEvent: ev });
  $('result').replaceChildren(el('div', { class: 'ok', text: `Erased ${s.chip ? 'the whole chip' : `${s.sectors} sector(s)`} (${s.bytes} bytes) of ${s.target}${s.keptReserved.length ? `; ${s.keptReserved.length} sector(s) with a reserved area left alone` : ''}.` }));
};

setup();
