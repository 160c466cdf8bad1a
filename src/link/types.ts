/**
 * Transport shapes. Protocol code talks to these, never to a serial port or socket, so the
 * same code runs over Node serialport, a TCP socket, WebSerial, or an in-process simulator.
 */

/** Modem-control lines and BREAK, for wirings that drive BOOT0/NRST from DTR/RTS. */
export interface LineSignals {
  dtr?: boolean;
  rts?: boolean;
  brk?: boolean;
}

/** A full-duplex byte stream (UART, TCP, pseudo-terminal, in-process pipe). */
export interface ByteStream {
  /** Sends bytes; resolves when handed to the OS/peer. */
  write(data: Uint8Array): Promise<void>;
  /** Registers the one consumer of incoming bytes (replaces any previous one). */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Called once when the peer closes or the link fails. */
  onClose(listener: (error?: Error) => void): void;
  /** Drives modem-control lines, where the link has them. */
  setSignals?(signals: LineSignals): Promise<void>;
  /** Changes the baud rate, where the link has one. */
  setBaudRate?(baud: number): Promise<void>;
  close(): Promise<void>;
}

/** A packet device: USB HID reports or bulk transfers of bounded size. */
export interface PacketDevice {
  /** Largest report/packet the device takes, in bytes (including any report ID). */
  readonly maxPacketSize: number;
  write(packet: Uint8Array): Promise<void>;
  onPacket(listener: (packet: Uint8Array) => void): void;
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
}
