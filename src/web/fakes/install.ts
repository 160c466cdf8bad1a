/**
 * The browser tests' init script (built to dist/web/fake-navigator.js): replaces
 * navigator.serial with the fake whose ports lead to the simulated chips, before the page's
 * own code runs, and exposes `window.flashwrightFakes` so a test can pick the chip the
 * "chooser" returns, unplug it mid-write and read the simulator's real state.
 */
import { createSimulatedSerial } from './devices.js';

const { serial, chips } = createSimulatedSerial(1);
let chosen = chips[0]?.id;
serial.choose = (ports) => ports.find((p) => chips.find((c) => c.port === p)?.id === chosen);
Object.defineProperty(navigator, 'serial', { value: serial, configurable: true });
Object.assign(globalThis, {
  flashwrightFakes: {
    serial,
    chips,
    choose(id: string) { chosen = id; },
    unplug(id: string) { chips.find((c) => c.id === id)?.port.unplug(); },
    bytesToDevice(id: string) { return chips.find((c) => c.id === id)?.port.bytesToDevice ?? 0; },
  },
});
