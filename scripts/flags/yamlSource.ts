import * as yaml from "js-yaml";
import { rethrowYamlError } from "../../settings/yamlFile";

/**
 * YAML documents with the line of every map and list in them, so that a check can name the
 * line of the value it rejects. js-yaml keeps no positions, but its `listener` reports where
 * each node starts; lines of individual keys are found from there in the text.
 */
export interface YamlSource {
  readonly documents: unknown[];
  /** 1-based line of `node`, or of `node[field]` when given and findable (block style). */
  line(node: unknown, field?: string | number): number;
}

export { YamlSyntaxError } from "../../settings/yamlFile";

interface Start {
  readonly line: number; // 0-based
  readonly column: number;
}

/** Parses `text`; a syntax error is a YamlSyntaxError naming `file`. */
export function parseYaml(text: string, file: string): YamlSource {
  const starts = new WeakMap<object, Start>();
  const open: number[] = [];
  let input = text;
  let lineStarts: number[] | undefined;
  let documents: unknown[];
  try {
    documents = yaml.loadAll(text, null, {
      listener(event, state) {
        if (lineStarts === undefined) {
          input = state.input; // js-yaml may have dropped a BOM or added a final newline
          lineStarts = lineStartsOf(input);
        }
        if (event === "open") {
          open.push(state.position);
          return;
        }
        const from = open.pop() ?? 0;
        const result: unknown = state.result;
        if (typeof result === "object" && result !== null && !starts.has(result)) {
          starts.set(result, startOf(input, lineStarts, from));
        }
      },
    });
  } catch (error) {
    rethrowYamlError(error, file);
  }
  const lines = input.split("\n");
  const line = (node: unknown, field?: string | number): number => {
    if (typeof node !== "object" || node === null) return 1;
    const start = starts.get(node);
    if (start === undefined) return 1;
    if (field === undefined) return start.line + 1;
    const child = (node as Record<string | number, unknown>)[field];
    if (typeof child === "object" && child !== null && Array.isArray(node)) return line(child);
    const found = Array.isArray(node) ? itemLine(lines, start, Number(field)) : keyLine(lines, start, String(field));
    return (found ?? start.line) + 1;
  };
  return { documents, line };
}

/** Skips white space and comments from `offset` to where the node's content begins. */
function startOf(input: string, lineStarts: readonly number[], offset: number): Start {
  let at = offset;
  for (;;) {
    const ch = input[at];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") at++;
    else if (ch === "#") while (at < input.length && input[at] !== "\n") at++;
    else break;
  }
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= at) low = mid;
    else high = mid - 1;
  }
  return { line: low, column: at - lineStarts[low] };
}

function lineStartsOf(input: string): number[] {
  const starts = [0];
  for (let i = input.indexOf("\n"); i !== -1; i = input.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

const indentOf = (text: string) => text.length - text.trimStart().length;
const isBlankOrComment = (text: string) => text.trim() === "" || text.trimStart().startsWith("#");
const isDocumentMarker = (text: string) => /^(---|\.\.\.)(\s|$)/.test(text);

/** The line of `field:` in the block map starting at `start`, or undefined. */
function keyLine(lines: string[], start: Start, field: string): number | undefined {
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const key = new RegExp(`^(["']?)${escaped}\\1\\s*:(\\s|$)`);
  if (key.test(lines[start.line].slice(start.column))) return start.line;
  for (let i = start.line + 1; i < lines.length; i++) {
    const text = lines[i];
    if (isBlankOrComment(text)) continue;
    if (indentOf(text) < start.column || isDocumentMarker(text)) return undefined;
    if (indentOf(text) === start.column && key.test(text.slice(start.column))) return i;
  }
  return undefined;
}

/** The line of the `index`-th `- ` item of the block list starting at `start`, or undefined. */
function itemLine(lines: string[], start: Start, index: number): number | undefined {
  let seen = -1;
  for (let i = start.line; i < lines.length; i++) {
    const text = i === start.line ? " ".repeat(start.column) + lines[i].slice(start.column) : lines[i];
    if (isBlankOrComment(text)) continue;
    if (indentOf(text) < start.column || isDocumentMarker(text)) return undefined;
    if (indentOf(text) === start.column && /^-(\s|$)/.test(text.slice(start.column)) && ++seen === index) return i;
  }
  return undefined;
}
