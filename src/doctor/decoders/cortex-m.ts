/**
 * Cortex-M fault status decoding lives with CoreAccess in arch/ (the programmer layer reads the
 * registers); this module is the doctor's one door to it, so a move of that file touches
 * one import here.
 */
export { decodeFaultStatus, type FaultStatus } from '../../arch/cortex-m.js';
