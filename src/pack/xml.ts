/**
 * A small element tree over fast-xml-parser (a well-kept, browser-safe XML parser). The
 * validator runs first so malformed XML is reported with its line and column; the tree
 * keeps document order, attributes as strings and the text of each element.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PackFormatError } from './errors.js';

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const parser = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, trimValues: true,
  parseAttributeValue: false, parseTagValue: false, processEntities: true, ignoreDeclaration: true, ignorePiTags: true,
});

type RawNode = Record<string, unknown>;

function toElement(node: RawNode): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (tag === undefined || tag === '#text' || tag.startsWith('?') || tag === '#comment') return undefined;
  const attrsRaw = (node[':@'] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsRaw)) attrs[k] = String(v);
  const children: XmlElement[] = [];
  let text = '';
  const body = node[tag];
  for (const child of Array.isArray(body) ? (body as RawNode[]) : []) {
    if ('#text' in child) { text += String(child['#text']); continue; }
    const el = toElement(child);
    if (el) children.push(el);
  }
  return { tag, attrs, children, text };
}

/** Parses `text` into its root element; malformed XML throws PackFormatError naming line:column. */
export function parseXml(text: string, source: string): XmlElement {
  const check = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (check !== true) {
    const { line, col, msg } = check.err;
    throw new PackFormatError(source, `is not well-formed XML at line ${line}, column ${col}: ${msg}`, { line, column: col });
  }
  let nodes: RawNode[];
  try {
    nodes = parser.parse(text) as RawNode[];
  } catch (e) {
    // The validator and the parser disagree on a few inputs (found by fuzzing): still a format error.
    throw new PackFormatError(source, `is not well-formed XML: ${(e as Error).message}`, {}, undefined, e);
  }
  const roots = nodes.map(toElement).filter((e): e is XmlElement => e !== undefined);
  const root = roots[0];
  if (!root) throw new PackFormatError(source, 'holds no XML element.');
  return root;
}

export function child(el: XmlElement, tag: string): XmlElement | undefined {
  return el.children.find((c) => c.tag === tag);
}

export function childrenOf(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}
