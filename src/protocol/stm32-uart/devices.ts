/** The STM32 device table lives with the other device facts in target/ (floor 2); re-exported for the protocol code. */
export * from '../../target/stm32-devices.js';
