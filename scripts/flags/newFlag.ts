import { join } from "node:path";
import { dayNumber, daysBetween } from "./dates";
import {
  BOOLEAN_FLAG_TYPE,
  FLIPT_DOCUMENT_VERSION,
  flagFileName,
  renderFlagFile,
  renderFlagItem,
  VARIANT_FLAG_TYPE,
  type FliptFlag,
} from "./document";
import { UserError } from "./errors";
import { compareWalkOrder, formatProblem, isIncluded, readIndex, type FolderFile } from "./folder";
import { defaultExpiry, lifecycleMetadata } from "./lifecycle";
import { checkFlagFolder } from "./lint";
import { DEFAULT_NAMESPACE, FLIPT_KEY_PATTERN, fliptKeyFor } from "./mapping";

export const NEW_FLAG_TYPES = ["boolean", "variant"] as const;
export type NewFlagType = (typeof NEW_FLAG_TYPES)[number];

export interface NewFlagRequest {
  readonly key: string;
  readonly owner: string;
  readonly description: string;
  readonly namespace?: string;
  /** Removal date; defaults to today + DEFAULT_LIFETIME_DAYS unless `permanent`. */
  readonly expires?: string;
  readonly permanent: boolean;
  readonly type: NewFlagType;
  readonly today: string;
}

/** The file to write: its path in the flag folder and its whole new text. */
export interface FileChange {
  readonly path: string;
  readonly text: string;
  readonly created: boolean;
}

/** Plans adding a flag to the folder; throws UserError for a bad request or an existing key. */
export function planNewFlag(files: readonly FolderFile[], request: NewFlagRequest, shownDir = "."): FileChange {
  const namespace = request.namespace ?? DEFAULT_NAMESPACE;
  checkRequest(request, namespace);
  const before = checkFlagFolder(files, request.today);
  const existing = before.flags.find((f) => f.namespace === namespace && f.key === request.key);
  if (existing !== undefined) {
    throw new UserError(`flag ${namespace}/${request.key} already exists at ${join(shownDir, existing.file)}:${existing.line}`);
  }
  const flag = newFlag(request);
  const target = before.documents.find((d) => d.namespace === namespace && d.file === flagFileName(namespace)) ??
    before.documents.find((d) => d.namespace === namespace);
  const change = target === undefined ? newFile(files, namespace, flag) : addToFile(files, target.file, namespace, flag);
  verify(files, change, before.problems.map((p) => p.message), request, shownDir);
  return change;
}

function checkRequest(request: NewFlagRequest, namespace: string): void {
  if (!FLIPT_KEY_PATTERN.test(request.key)) {
    let hint = "";
    try {
      const ref = fliptKeyFor(request.key);
      hint = `; for the dotted name use --namespace ${ref.namespace} --key ${ref.key}`;
    } catch {
      // no dotted-name hint for keys that are not valid dotted names either
    }
    throw new UserError(`--key: expected a Flipt key matching ${FLIPT_KEY_PATTERN.source}, found ${JSON.stringify(request.key)}${hint}`);
  }
  if (!FLIPT_KEY_PATTERN.test(namespace)) {
    throw new UserError(`--namespace: expected a namespace key matching ${FLIPT_KEY_PATTERN.source}, found ${JSON.stringify(namespace)}`);
  }
  if (request.owner.trim() === "") throw new UserError("--owner: expected the owning team, found an empty value");
  if (request.description.trim() === "") throw new UserError("--description: expected a sentence saying what the flag controls, found an empty value");
  if (request.permanent && request.expires !== undefined) throw new UserError("--expires and --permanent: give one or the other");
  if (request.expires !== undefined) {
    if (dayNumber(request.expires) === undefined) throw new UserError(`--expires: expected a date YYYY-MM-DD, found ${JSON.stringify(request.expires)}`);
    if (daysBetween(request.today, request.expires) <= 0) throw new UserError(`--expires: ${request.expires} is not after today (${request.today})`);
  }
}

export function newFlag(request: NewFlagRequest): FliptFlag {
  const metadata = lifecycleMetadata({
    owners: [request.owner.trim()],
    created: request.today,
    expires: request.permanent ? undefined : (request.expires ?? defaultExpiry(request.today)),
  });
  const flag: FliptFlag = {
    key: request.key,
    name: request.key,
    type: request.type === "boolean" ? BOOLEAN_FLAG_TYPE : VARIANT_FLAG_TYPE,
    description: request.description.trim(),
    // New flags start off; turning one on is a reviewed change of its own.
    enabled: false,
    metadata,
  };
  if (request.type === "variant") {
    flag.variants = [
      { key: "control", name: "Control", default: true },
      { key: "treatment", name: "Treatment" },
    ];
  }
  return flag;
}

function newFile(files: readonly FolderFile[], namespace: string, flag: FliptFlag): FileChange {
  const path = flagFileName(namespace);
  if (files.some((f) => f.path === path)) {
    throw new UserError(`${path} exists but holds no document of namespace "${namespace}"; add the flag by hand`);
  }
  if (!isIncluded(readIndex(files).index, path)) {
    throw new UserError(`the index does not include ${path}; add it to .flipt.yml first`);
  }
  return { path, text: renderFlagFile({ version: FLIPT_DOCUMENT_VERSION, namespace, flags: [flag] }), created: true };
}

/** Appends the flag to the file's top-level block list `flags:`, keeping the rest of the text. */
function addToFile(files: readonly FolderFile[], path: string, namespace: string, flag: FliptFlag): FileChange {
  const text = files.find((f) => f.path === path)!.text;
  const lines = text.split("\n");
  if (lines.some((line) => /^---(\s|$)/.test(line))) {
    throw new UserError(`${path} holds several YAML documents; add flag ${namespace}/${flag.key} by hand`);
  }
  const at = lines.findIndex((line) => /^flags\s*:/.test(line));
  if (at === -1) {
    const body = text.endsWith("\n") || text === "" ? text : `${text}\n`;
    return { path, text: `${body}flags:\n${renderFlagItem(flag, "  ")}`, created: false };
  }
  if (!/^flags\s*:\s*(\[\s*\])?\s*(#.*)?$/.test(lines[at])) {
    throw new UserError(`${path}:${at + 1}: flags is not a block list; add flag ${namespace}/${flag.key} by hand`);
  }
  lines[at] = "flags:";
  let last = at;
  let indent = "  ";
  for (let i = at + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(line) && !/^-(\s|$)/.test(line)) break;
    if (last === at) indent = /^(\s*)-/.exec(line)?.[1] ?? indent;
    last = i;
  }
  const item = renderFlagItem(flag, indent).replace(/\n$/, "");
  lines.splice(last + 1, 0, item);
  return { path, text: lines.join("\n"), created: false };
}

/** The new folder must hold the flag and have no lint problem that the old one did not. */
function verify(
  files: readonly FolderFile[],
  change: FileChange,
  problemsBefore: string[],
  request: NewFlagRequest,
  shownDir: string,
): void {
  const after = [...files.filter((f) => f.path !== change.path), { path: change.path, text: change.text }];
  after.sort((a, b) => compareWalkOrder(a.path, b.path));
  const report = checkFlagFolder(after, request.today);
  const added = report.problems.filter((p) => !problemsBefore.includes(p.message));
  const namespace = request.namespace ?? DEFAULT_NAMESPACE;
  if (added.length > 0 || !report.flags.some((f) => f.namespace === namespace && f.key === request.key)) {
    const detail = added.map((p) => formatProblem(shownDir, p));
    throw new UserError([`adding ${namespace}/${request.key} to ${change.path} would not pass lint; add it by hand:`, ...detail]);
  }
}
