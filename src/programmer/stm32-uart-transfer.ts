/**
 * Checked reads and confirmed writes through the STM32 ROM bootloader. Read Memory answers
 * carry no checksum (and serialport does not check UART parity), so with 'crc' (the default
 * where the bootloader has Get Checksum) the range is compared with the device's CRC — one
 * extra exchange per call — and with 'double' it is read twice; a mismatch reads again,
 * three times at most. A written block counts only once the bootloader shows it did not
 * restart under it.
 */
import { FlashwrightError } from '../core/errors.js';
import { hex } from '../core/format.js';
import { forEachChunk } from '../link/chunks.js';
import { MAX_TRANSFER } from '../protocol/stm32-uart/commands.js';
import { stm32Crc32 } from '../protocol/stm32-uart/crc.js';
import { Stm32DeviceResetError } from '../protocol/stm32-uart/errors.js';
import type { Stm32UartSession } from '../protocol/stm32-uart/session.js';
import type { OperationOptions } from './types.js';

export type ReadCheck = 'crc' | 'double' | 'none';

/** The check a read gets: Get Checksum needs word-aligned ranges; 'crc' falls back to reading twice. */
export function readCheckMode(wanted: 'auto' | ReadCheck, hasChecksum: boolean, address: number, length: number): ReadCheck {
  const crcFits = hasChecksum && address % 4 === 0 && length % 4 === 0 && length > 0;
  if (wanted === 'auto') return crcFits ? 'crc' : 'none';
  if (wanted === 'crc') return crcFits ? 'crc' : 'double';
  return wanted;
}

/** Reads `length` bytes at `address` in 256-byte blocks, checked by `mode`; `onMismatch` counts the repeats. */
export async function readChecked(session: Stm32UartSession, address: number, length: number, mode: ReadCheck, options: OperationOptions, onMismatch: () => void): Promise<Uint8Array> {
  const once = () => session.during(options.signal, async () => {
    const out = new Uint8Array(length);
    await forEachChunk(length, MAX_TRANSFER, async (off, n) => { out.set(await session.readMemory(address + off, n), off); }, { ...options, what: 'read' });
    return out;
  });
  let previous = mode === 'double' ? await once() : undefined;
  let deviceCrc = 0;
  let hostCrc = 0;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const out = await once();
    if (mode === 'none') return out;
    if (mode === 'double') {
      if (equalBytes(out, previous!)) return out;
      previous = out;
    } else {
      deviceCrc = await session.during(options.signal, () => session.getChecksum(address, length));
      hostCrc = stm32Crc32(out);
      if (deviceCrc === hostCrc) return out;
    }
    onMismatch();
  }
  throw new FlashwrightError('STM32_READ_GARBLED', `Reading ${length} bytes at ${hex(address)} kept giving inconsistent data (${mode === 'crc' ? `CRC ${hex(hostCrc)}, device says ${hex(deviceCrc)}` : 'two reads differ'}).`, {
    hint: 'Bytes are being corrupted on the line: lower the baud rate, shorten the cable, check ground and use even parity.',
    context: { address, length, check: mode },
  });
}

/**
 * Programs `data` at `address` in 256-byte Write Memory blocks (blocks that already read as
 * erased are left alone) and reports through onCommitted only what the device confirmed: a
 * block counts as written once the next command (or, for the last, a moment of silence) shows
 * the bootloader did not restart under it — a chip that reset mid-frame answers a 0x7F among
 * the data with its autobaud ACK, which looks like the write's ACK (AN3155 §3.7 ACK after programming).
 */
export async function programConfirmed(session: Stm32UartSession, address: number, data: Uint8Array, erased: number, options: OperationOptions): Promise<void> {
  let confirmed = 0;
  const commit = (n: number) => options.onCommitted?.(n);
  await forEachChunk(data.length, MAX_TRANSFER, async (off, n) => {
    const block = data.subarray(off, off + n);
    // Erased flash already reads so: 0xFF on most lines, 0x00 on L0/L1 (RM0377 §3.3.4).
    try {
      if (!block.every((b) => b === erased)) await session.writeMemory(address + off, block, 'flash');
    } catch (e) {
      // Any failure but a restart under the previous block leaves that block written.
      if (!(e instanceof Stm32DeviceResetError) && off > confirmed) commit(confirmed = off);
      throw e;
    }
    options.onProgress?.(off + n);
    if (off > confirmed) commit(confirmed = off);
  }, { ...(options.signal ? { signal: options.signal } : {}), what: 'write' });
  await session.confirmQuiet();
  commit(data.length);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
