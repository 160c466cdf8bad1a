/**
 * The browser tests' init script (built by test/web/browser.ts into the harness's own temp
 * folder, never into dist/web: the shipped page has no fakes of navigator.*): replaces
 * navigator.serial, navigator.hid and navigator.usb with fakes whose ports and devices lead to the simulated chips, before the page's
 * own code runs, and exposes `window.flashwrightFakes` so a test can pick the chip the
 * "chooser" returns, unplug it mid-write and read the simulator's real state.
 */
import { createSimulatedSerial } from '../../src/web/fakes/devices.js';

const { serial, hid, usb, chips } = createSimulatedSerial(1);
let chosen = chips[0]?.id;
serial.choose = (ports) => ports.find((p) => chips.find((c) => c.port === p)?.id === chosen);
hid.choose = (devices) => devices.find((d) => chips.find((c) => c.hid === d)?.id === chosen);
usb.choose = (devices) => devices.find((d) => chips.find((c) => c.usb === d)?.id === chosen);
Object.defineProperty(navigator, 'serial', { value: serial, configurable: true });
Object.defineProperty(navigator, 'hid', { value: hid, configurable: true });
Object.defineProperty(navigator, 'usb', { value: usb, configurable: true });
Object.assign(globalThis, {
  flashwrightFakes: {
    serial,
    hid,
    usb,
    chips,
    choose(id: string) { chosen = id; },
    unplug(id: string) { const c = chips.find((x) => x.id === id); c?.port?.unplug(); c?.hid?.unplug(); c?.usb?.unplug(); },
    bytesToDevice(id: string) { return chips.find((c) => c.id === id)?.port?.bytesToDevice ?? 0; },
  },
});
