/** Tiny DOM helpers: no framework, just elements with text (never innerHTML with data). */
import { NO_ALGO } from '../programmer/gdb-target.js';
export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; text?: string; title?: string } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title) e.title = props.title;
  for (const c of children) e.append(c);
  return e;
}

export function table(head: string[], rows: Array<Array<string>>, numeric: number[] = []): HTMLElement {
  const t = el('table');
  const tr = el('tr');
  head.forEach((h, i) => tr.append(el('th', { text: h, ...(numeric.includes(i) ? { class: 'num' } : {}) })));
  t.append(el('thead', {}, tr));
  const body = el('tbody');
  for (const r of rows) {
    const row = el('tr');
    r.forEach((c, i) => row.append(el('td', { text: c, ...(numeric.includes(i) ? { class: 'num' } : {}) })));
    body.append(row);
  }
  t.append(body);
  return el('div', { class: 'table-wrap' }, t);
}

/** Offers bytes as a file download. */
export function download(name: string, data: Uint8Array, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([data.slice().buffer as ArrayBuffer], { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A region's name as the page says it: the CLI's flag advice for flash without an algorithm becomes the page's. */
export function regionLabel(name: string): string {
  return name.replace(NO_ALGO, 'read-only: no flash algorithm — open the part\'s CMSIS-Pack in step 2');
}
