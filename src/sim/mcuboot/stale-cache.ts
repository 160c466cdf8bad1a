/**
 * A fault model for seed 003 (KV58 + KBOOT: "kStatusMemoryCumulativeWrite" right after a
 * successful erase, cured only by a reset): the bootloader checks "is the destination
 * erased?" through a flash cache / prefetch buffer that the erase did not invalidate, so it
 * sees the old bytes. Enabled per simulated device; a reset empties it.
 */
import type { SimMemory } from '../sim-memory.js';

export class StaleFlashCache {
  enabled = false;
  /** Sector address → what the cache still holds from before the erase. */
  private readonly lines = new Map<number, { address: number; data: Uint8Array }>();

  /** Called before a sector is erased: the cache keeps the old contents. */
  beforeErase(memory: SimMemory, address: number, size: number): void {
    if (this.enabled) this.lines.set(address, { address, data: memory.read(address, size) });
  }

  /** True when the stale view says [address, address+length) is not erased. */
  looksProgrammed(address: number, length: number): boolean {
    for (const line of this.lines.values()) {
      const a = Math.max(address, line.address);
      const b = Math.min(address + length, line.address + line.data.length);
      for (let i = a; i < b; i++) if (line.data[i - line.address] !== 0xff) return true;
    }
    return false;
  }

  invalidate(): void {
    this.lines.clear();
  }
}
