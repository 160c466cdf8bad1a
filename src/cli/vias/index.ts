// Importing a via module registers it (defineVia). One line per way in.
export {};
import './sim.js';
import './stm32-uart.js';
import './gdb.js';
import './mcuboot.js';
import './cmsis-dap.js';
