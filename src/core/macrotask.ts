/**
 * The next event-loop turn, as a promise: setImmediate where it exists (Node); in a browser a
 * MessageChannel message, since chained zero timeouts are clamped to 4 ms each (HTML timers,
 * nesting level > 5). An in-process simulator awaits it between steps so that what a real
 * device's wait would let run — a signal handler, a Ctrl-C, a UI redraw — runs mid-operation.
 */
type Task = (f: () => void) => void;

const immediate = (globalThis as { setImmediate?: Task }).setImmediate;

let browser: Task | undefined;
function browserTask(): Task {
  if (typeof MessageChannel === 'undefined') return (f) => { setTimeout(f, 0); };
  const channel = new MessageChannel();
  const queue: Array<() => void> = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (f) => { queue.push(f); channel.port2.postMessage(0); };
}

export function nextTurn(): Promise<void> {
  const task = immediate ?? (browser ??= browserTask());
  return new Promise((resolve) => { task(resolve); });
}
