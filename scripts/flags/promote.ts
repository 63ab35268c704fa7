import { loadAllYaml } from "../../settings/yamlFile";
import { diffEnvironment, sameDefinition, type EnvironmentDiff } from "./diff";
import { flagFileName, renderFlagFile, type FliptDocument } from "./document";
import type { Environment } from "./environments";
import { UserError } from "./errors";
import { compareWalkOrder, type FolderFile } from "./folder";
import { checkFlagFolder } from "./lint";
import { FLIPT_KEY_PATTERN } from "./mapping";
import { plural } from "../lib/text";
import {
  isMap,
  listOf,
  namespaceOf,
  readEnvironmentState,
  refOf,
  segmentsUsedBy,
  type Definition,
  type EnvironmentState,
} from "./state";

/**
 * `flags promote`: makes the target environment's definitions of some flags (default: every flag
 * that differs) equal to the source's, with the segments they use, as file changes to review and
 * commit. Refuses, writing nothing, when the result would refer to something it lacks or would
 * change a segment that flags it does not promote also use.
 */

export interface PromotionRequest {
  readonly from: Environment;
  readonly to: Environment;
  /** `namespace/key` of the flags to promote; empty means every flag that differs. */
  readonly flags: readonly string[];
  readonly today: string;
}

export interface Promotion {
  /** Whole new texts of the target's changed files, paths relative to the target's directory. */
  readonly files: readonly FolderFile[];
  /** The flags promoted (copied or, when the source has removed them, removed). */
  readonly promoted: readonly string[];
  /** Requested flags that were already the same. */
  readonly unchanged: readonly string[];
  /** What the promotion does to the target, as `flags diff` describes it. */
  readonly diff: EnvironmentDiff;
}

export function planPromotion(sourceFiles: readonly FolderFile[], targetFiles: readonly FolderFile[], request: PromotionRequest): Promotion {
  const { from, to } = request;
  if (from === to) throw new UserError(`--from and --to: both are ${from}; promote copies from one environment to another`);
  const sourceProblems = checkFlagFolder(sourceFiles, request.today).problems;
  if (sourceProblems.length > 0) {
    throw new UserError(`${from} has ${plural(sourceProblems.length, "lint problem")} (first: ${from}/${sourceProblems[0].file}:${sourceProblems[0].line}: ${sourceProblems[0].message}); fix them before promoting (npm run flags -- lint)`);
  }
  const source = readEnvironmentState(sourceFiles);
  const target = readEnvironmentState(targetFiles);
  const requested = request.flags.length > 0 ? checkRequested(request, source, target) : differing(source, target);
  const promoted = requested.filter((ref) => !sameOrBothAbsent(ref, source, target));
  const promotedSet = new Set(promoted);
  const unchanged = requested.filter((ref) => !promotedSet.has(ref));

  const documents = new TargetDocuments(targetFiles);
  const sourceNamespace = sourceNamespaces(sourceFiles);
  for (const ref of promoted) {
    const flag = source.flags.get(ref);
    if (flag === undefined) documents.removeFlag(target.flags.get(ref)!.file, target.flags.get(ref)!.namespace, target.flags.get(ref)!.key);
    else {
      const file = target.flags.get(ref)?.file ?? documents.fileFor(flag.namespace, flag.file);
      for (const key of segmentsUsedBy(flag.flag)) copySegment(refOf(flag.namespace, key), file, { source, target, promoted: promotedSet, documents, request });
      documents.putFlag(file, flag.namespace, flag.flag, sourceNamespace(flag.file, flag.namespace));
    }
  }
  const files = documents.changedFiles();
  const result = applyFiles(targetFiles, files);
  checkResult(targetFiles, result, request, promoted, source);
  return { files, promoted, unchanged, diff: diffEnvironment(target, readEnvironmentState(result)) };
}

function checkRequested(request: PromotionRequest, source: EnvironmentState, target: EnvironmentState): string[] {
  const problems: string[] = [];
  for (const ref of request.flags) {
    const [namespace, key, ...rest] = ref.split("/");
    if (rest.length > 0 || key === undefined || !FLIPT_KEY_PATTERN.test(namespace) || !FLIPT_KEY_PATTERN.test(key)) {
      problems.push(`--flag ${JSON.stringify(ref)}: expected <namespace>/<key>, e.g. platform/kill_switches--gate--control_api`);
    } else if (!source.flags.has(ref) && !target.flags.has(ref)) {
      problems.push(`--flag ${ref}: neither ${request.from} nor ${request.to} has this flag`);
    }
  }
  if (problems.length > 0) throw new UserError(problems);
  return [...new Set(request.flags)];
}

/** Every flag whose definition (with its segments) differs, including flags the source has removed. */
function differing(source: EnvironmentState, target: EnvironmentState): string[] {
  return [...new Set([...source.flags.keys(), ...target.flags.keys()])].sort().filter((ref) => !sameOrBothAbsent(ref, source, target));
}

function sameOrBothAbsent(ref: string, source: EnvironmentState, target: EnvironmentState): boolean {
  const [s, t] = [source.flags.get(ref), target.flags.get(ref)];
  if (s === undefined || t === undefined) return s === t;
  return sameDefinition(s, source, t, target);
}

interface CopyContext {
  readonly source: EnvironmentState;
  readonly target: EnvironmentState;
  readonly promoted: ReadonlySet<string>;
  readonly documents: TargetDocuments;
  readonly request: PromotionRequest;
}

function copySegment(segmentRef: string, flagFile: string, context: CopyContext): void {
  const { source, target, promoted, documents, request } = context;
  const segment = source.segments.get(segmentRef);
  if (segment === undefined) {
    throw new UserError(`${request.from} has no segment ${segmentRef}, which the promoted flags use; define it in ${request.from} first`);
  }
  const existing = target.segments.get(segmentRef);
  if (existing !== undefined && sameDefinitionOf(existing.segment, segment.segment)) return;
  if (existing !== undefined) {
    const others = [...target.flags.values()]
      .filter((f) => !promoted.has(refOf(f.namespace, f.key)) && segmentsUsedBy(f.flag).some((k) => refOf(f.namespace, k) === segmentRef))
      .map((f) => refOf(f.namespace, f.key));
    if (others.length > 0) {
      throw new UserError(
        `segment ${segmentRef} differs between ${request.from} and ${request.to}, and ${request.to}'s ${others.join(", ")} also use it; promote ${others.length === 1 ? "that flag" : "those flags"} too (--flag ${others.join(" --flag ")}) or make the segment the same first`,
      );
    }
  }
  documents.putSegment(existing?.file ?? flagFile, segment.namespace, segment.segment);
}

const sameDefinitionOf = (a: Definition, b: Definition) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isMap(value)) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  return value;
}

/**
 * The namespace entry (a key, or a map with its name) of the source document that holds a flag,
 * each source file parsed once: per flag, a whole-file parse made promote quadratic (203 s for
 * 10,000 flags in 8 files).
 */
function sourceNamespaces(files: readonly FolderFile[]): (file: string, namespace: string) => unknown {
  const parsed = new Map<string, Definition[]>();
  return (file, namespace) => {
    let documents = parsed.get(file);
    if (documents === undefined) {
      const text = files.find((f) => f.path === file)?.text ?? "";
      documents = loadAllYaml(text, file).filter(isMap);
      parsed.set(file, documents);
    }
    return documents.find((d) => namespaceOf(d) === namespace)?.namespace ?? namespace;
  };
}

function applyFiles(files: readonly FolderFile[], changed: readonly FolderFile[]): FolderFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const file of changed) byPath.set(file.path, file);
  return [...byPath.values()].sort((a, b) => compareWalkOrder(a.path, b.path));
}

/** The promotion may fix problems of the target but never add any, and every promoted flag must be served. */
function checkResult(before: readonly FolderFile[], after: readonly FolderFile[], request: PromotionRequest, promoted: readonly string[], source: EnvironmentState): void {
  const served = readEnvironmentState(after);
  for (const ref of promoted) {
    if (source.flags.has(ref) && !served.flags.has(ref)) {
      throw new UserError(`${request.to}'s index (.flipt.yml) does not include the file promote would put ${ref} in; include it first`);
    }
  }
  const known = new Set(checkFlagFolder(before, request.today).problems.map((p) => p.message));
  const added = checkFlagFolder(after, request.today).problems.filter((p) => !known.has(p.message));
  if (added.length > 0) {
    throw new UserError(added.map((p) => `promoting would leave ${request.to} invalid: ${request.to}/${p.file}:${p.line}: ${p.message}`));
  }
}

/** The target's flag files as documents, edited in place and rendered back only when changed. */
class TargetDocuments {
  private readonly parsed = new Map<string, FliptDocument[]>();
  private readonly changed = new Set<string>();

  constructor(private readonly files: readonly FolderFile[]) {}

  /** Where a flag new to the target goes: the file that declares its namespace, else the source's file name. */
  fileFor(namespace: string, sourceFile: string): string {
    const preferred = flagFileName(namespace);
    const candidates = [preferred, ...this.files.map((f) => f.path)];
    for (const path of candidates) {
      if (this.files.some((f) => f.path === path) && this.documents(path).some((d) => namespaceOf(d as unknown as Definition) === namespace)) return path;
    }
    return sourceFile;
  }

  putFlag(file: string, namespace: string, flag: Definition, namespaceEntry: unknown): void {
    const document = this.document(file, namespace, namespaceEntry);
    const flags = document.flags as unknown as Definition[];
    const at = flags.findIndex((f) => f.key === flag.key);
    if (at >= 0) flags[at] = flag;
    else {
      const before = flags.findIndex((f) => String(f.key) > String(flag.key));
      flags.splice(before === -1 ? flags.length : before, 0, flag);
    }
    this.changed.add(file);
  }

  removeFlag(file: string, namespace: string, key: string): void {
    const document = this.document(file, namespace, namespace);
    document.flags = document.flags.filter((f) => f.key !== key);
    this.changed.add(file);
  }

  putSegment(file: string, namespace: string, segment: Definition): void {
    const document = this.document(file, namespace, namespace);
    const segments = (document.segments ?? []) as unknown as Definition[];
    const at = segments.findIndex((s) => s.key === segment.key);
    if (at >= 0) segments[at] = segment;
    else segments.push(segment);
    document.segments = segments as unknown as FliptDocument["segments"];
    this.changed.add(file);
  }

  changedFiles(): FolderFile[] {
    return [...this.changed].sort(compareWalkOrder).map((path) => ({ path, text: this.render(path) }));
  }

  private documents(path: string): FliptDocument[] {
    let documents = this.parsed.get(path);
    if (documents === undefined) {
      const text = this.files.find((f) => f.path === path)?.text;
      documents = text === undefined ? [] : loadAllYaml(text, path).filter(isMap).map((d) => d as unknown as FliptDocument);
      this.parsed.set(path, documents);
    }
    return documents;
  }

  private document(path: string, namespace: string, namespaceEntry: unknown): FliptDocument {
    const documents = this.documents(path);
    let document = documents.find((d) => namespaceOf(d as unknown as Definition) === namespace);
    if (document === undefined) {
      if (documents.length > 0) throw new UserError(`${path} has no document for namespace ${namespace}; promote adds a namespace only as a file of its own`);
      document = { version: "1.4", namespace: namespaceEntry as string, flags: [] };
      documents.push(document);
    }
    if (!Array.isArray(document.flags)) document.flags = listOf(document.flags) as unknown as FliptDocument["flags"];
    return document;
  }

  private render(path: string): string {
    const documents = this.documents(path);
    if (documents.length !== 1) throw new UserError(`${path} has ${documents.length} YAML documents; promote rewrites files with one document each`);
    return renderFlagFile(documents[0]);
  }
}
