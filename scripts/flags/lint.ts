import * as path from "node:path";
import { BOOLEAN_FLAG_TYPE, FLIPT_DOCUMENT_VERSION, FLIPT_DOCUMENT_VERSIONS, INDEX_FILE, VARIANT_FLAG_TYPE } from "./document";
import { UserError } from "./errors";
import { includedFiles, readIndex, syntaxProblem, type FolderFile, type Problem } from "./folder";
import { METADATA, readLifecycle } from "./lifecycle";
import { DEFAULT_NAMESPACE, FLIPT_KEY_PATTERN, fliptKeyFor } from "./mapping";
import { parseYaml, YamlSyntaxError, type YamlSource } from "./yamlSource";

/**
 * Checks a flag folder the way Flipt v1 loads it (core/validation/flipt.cue plus the reference
 * checks of internal/storage/fs/snapshot.go), plus the lifecycle metadata policy.
 */

/** A flag found in an included file, whatever its problems. */
export interface FlagEntry {
  readonly file: string;
  readonly line: number;
  readonly namespace: string;
  readonly key: string;
  readonly metadata: unknown;
}

/** A document found in an included file, and the namespace it declares. */
export interface DocumentEntry {
  readonly file: string;
  readonly namespace: string;
}

export interface FolderReport {
  readonly problems: Problem[];
  readonly flags: FlagEntry[];
  readonly documents: DocumentEntry[];
  /** The files the index includes, in the order Flipt loads them. */
  readonly files: string[];
}

export function checkFlagFolder(files: readonly FolderFile[], today: string): FolderReport {
  const { index, problems } = readIndex(files);
  const included = includedFiles(files, index);
  if (included.length === 0) {
    problems.push({ file: INDEX_FILE, line: 1, message: "the index includes no files, so Flipt would serve no flags" });
  }
  // A flag file the index leaves out looks served in review and is not: the index must include exactly the flag files.
  for (const file of files.filter((f) => isFlagFileName(f.path) && !included.includes(f))) {
    problems.push({ file: file.path, line: 1, message: `a flag file that ${INDEX_FILE} does not include, so Flipt does not serve it; include it or remove it` });
  }
  const state: FolderState = { today, problems, flags: [], documents: [], namespaces: new Map() };
  for (const file of included) checkFile(file, state);
  const paths = included.map((f) => f.path);
  const order = (p: Problem) => (p.file === INDEX_FILE ? -1 : paths.includes(p.file) ? paths.indexOf(p.file) : paths.length);
  problems.sort((a, b) => order(a) - order(b) || a.line - b.line);
  return { problems, flags: state.flags, documents: state.documents, files: paths };
}

interface Defined {
  readonly file: string;
  readonly line: number;
}

interface NamespaceState {
  readonly flags: Map<string, Defined>;
  readonly segments: Map<string, Defined>;
}

interface FolderState {
  readonly today: string;
  readonly problems: Problem[];
  readonly flags: FlagEntry[];
  readonly documents: DocumentEntry[];
  readonly namespaces: Map<string, NamespaceState>;
}

const YAML_EXTENSIONS = [".yml", ".yaml", ".json", ""];

function checkFile(file: FolderFile, state: FolderState): void {
  if (!YAML_EXTENSIONS.includes(path.extname(file.path))) {
    state.problems.push({ file: file.path, line: 1, message: `Flipt reads only .yml, .yaml and .json files; the index must not include this one` });
    return;
  }
  let source: YamlSource;
  try {
    source = parseYaml(file.text, file.path);
  } catch (error) {
    if (!(error instanceof YamlSyntaxError)) throw error;
    state.problems.push(syntaxProblem(file.path, error));
    return;
  }
  const checker = new Checker(file.path, source, state);
  for (const document of source.documents) {
    if (document !== null && document !== undefined) checker.document(document);
  }
}

/** Names Flipt's default index would take for flag files (`*.features.yml`, `*.features.yaml`). */
const isFlagFileName = (file: string) => /(^|[./])features\.ya?ml$/.test(file);

/** A YAML mapping as js-yaml loads it. */
type YamlMap = Record<string, unknown>;

const DOCUMENT_FIELDS = ["version", "namespace", "flags", "segments"];
const NAMESPACE_FIELDS = ["key", "name", "description"];
const SEGMENT_FIELDS = ["key", "name", "description", "match_type", "constraints"];
const CONSTRAINT_FIELDS = ["type", "property", "operator", "value", "description"];
const MATCH_TYPES = ["ALL_MATCH_TYPE", "ANY_MATCH_TYPE"];
const SEGMENT_OPERATORS = ["OR_SEGMENT_OPERATOR", "AND_SEGMENT_OPERATOR"];
const STRING_OPERATORS = ["eq", "neq", "empty", "notempty", "prefix", "suffix", "isoneof", "isnotoneof", "contains", "notcontains"];
const CONSTRAINT_OPERATORS: Record<string, string[]> = {
  STRING_COMPARISON_TYPE: STRING_OPERATORS,
  NUMBER_COMPARISON_TYPE: ["eq", "neq", "present", "notpresent", "le", "lte", "gt", "gte", "isoneof", "isnotoneof"],
  BOOLEAN_COMPARISON_TYPE: ["true", "false", "present", "notpresent"],
  DATETIME_COMPARISON_TYPE: ["eq", "neq", "present", "notpresent", "le", "lte", "gt", "gte"],
  ENTITY_ID_COMPARISON_TYPE: STRING_OPERATORS,
};
const FLAG_FIELDS = ["key", "name", "description", "enabled", "variants", "rules", "type", "rollouts", "metadata"];
const VARIANT_FIELDS = ["key", "name", "description", "attachment", "default"];
const RULE_FIELDS = ["segment", "rank", "distributions"];
const ROLLOUT_FIELDS = ["description", "segment", "threshold"];

/** Versions from which a field exists (flipt.cue); absent means every version. */
const SINCE = { type: "1.1", rollouts: "1.1", metadata: "1.3", default: "1.3" } as const;

class Checker {
  private version: string = FLIPT_DOCUMENT_VERSION;
  private namespace = DEFAULT_NAMESPACE;

  constructor(
    private readonly file: string,
    private readonly source: YamlSource,
    private readonly state: FolderState,
  ) {}

  document(document: unknown): void {
    const doc = this.map(document, undefined, undefined, "document");
    if (doc === undefined) return;
    this.unknownFields(doc, DOCUMENT_FIELDS, "document");
    this.version = this.readVersion(doc);
    this.namespace = this.readNamespace(doc);
    this.state.documents.push({ file: this.file, namespace: this.namespace });
    // Flipt adds a document's segments before its flags, so a flag may use a segment defined below it.
    this.list(doc, "segments").forEach((segment, i) => this.segment(segment, doc.segments as unknown[], i));
    this.list(doc, "flags").forEach((flag, i) => this.flag(flag, doc.flags as unknown[], i));
  }

  private readVersion(doc: YamlMap): string {
    if (doc.version === undefined) return FLIPT_DOCUMENT_VERSION;
    if (typeof doc.version === "string" && (FLIPT_DOCUMENT_VERSIONS as readonly string[]).includes(doc.version)) {
      return doc.version;
    }
    this.report(doc, "version", `version: expected one of ${FLIPT_DOCUMENT_VERSIONS.map((v) => `"${v}"`).join(", ")} (quoted), found ${show(doc.version)}`);
    return FLIPT_DOCUMENT_VERSION;
  }

  private readNamespace(doc: YamlMap): string {
    const value = doc.namespace;
    if (value === undefined || value === null) return DEFAULT_NAMESPACE;
    if (typeof value === "string") return this.key(value, doc, "namespace", "namespace") ?? DEFAULT_NAMESPACE;
    const map = this.map(value, doc, "namespace", "namespace");
    if (map === undefined) return DEFAULT_NAMESPACE;
    this.unknownFields(map, NAMESPACE_FIELDS, "namespace");
    if (map.name !== undefined) this.nonEmptyString(map, "name", "namespace.name");
    this.optionalString(map, "description", "namespace.description");
    if (map.key === undefined) return DEFAULT_NAMESPACE;
    return this.key(map.key, map, "key", "namespace.key") ?? DEFAULT_NAMESPACE;
  }

  // ---- segments ----

  private segment(value: unknown, list: unknown[], index: number): void {
    const segment = this.map(value, list, index, `segments[${index}]`);
    if (segment === undefined) return;
    const key = this.key(segment.key, segment, "key", `segments[${index}].key`);
    const what = key === undefined ? `segments[${index}]` : `segment ${JSON.stringify(key)}`;
    this.unknownFields(segment, SEGMENT_FIELDS, what);
    this.nonEmptyString(segment, "name", `${what}: name`);
    this.optionalString(segment, "description", `${what}: description`);
    if (!MATCH_TYPES.includes(segment.match_type as string)) {
      this.report(segment, "match_type", `${what}: match_type: expected ${MATCH_TYPES.join(" or ")}, found ${show(segment.match_type)}`);
    }
    this.list(segment, "constraints").forEach((c, i) => this.constraint(c, segment.constraints as unknown[], i, `${what}: constraints[${i}]`));
    if (key !== undefined) this.define("segments", key, segment, what);
  }

  private constraint(value: unknown, list: unknown[], index: number, what: string): void {
    const constraint = this.map(value, list, index, what);
    if (constraint === undefined) return;
    this.unknownFields(constraint, CONSTRAINT_FIELDS, what);
    const operators = CONSTRAINT_OPERATORS[constraint.type as string];
    if (operators === undefined) {
      this.report(constraint, "type", `${what}.type: expected one of ${Object.keys(CONSTRAINT_OPERATORS).join(", ")}, found ${show(constraint.type)}`);
    } else if (!operators.includes(constraint.operator as string)) {
      this.report(constraint, "operator", `${what}.operator: expected one of ${operators.join(", ")} for ${constraint.type}, found ${show(constraint.operator)}`);
    }
    this.nonEmptyString(constraint, "property", `${what}.property`);
    this.optionalString(constraint, "value", `${what}.value`);
    this.optionalString(constraint, "description", `${what}.description`);
  }

  // ---- flags ----

  private flag(value: unknown, list: unknown[], index: number): void {
    const flag = this.map(value, list, index, `flags[${index}]`);
    if (flag === undefined) return;
    const key = this.key(flag.key, flag, "key", `flags[${index}].key`);
    const what = key === undefined ? `flags[${index}]` : `flag ${JSON.stringify(key)}`;
    this.unknownFields(flag, FLAG_FIELDS, what);
    this.versioned(flag, ["type", "rollouts", "metadata"], what);
    this.nonEmptyString(flag, "name", `${what}: name`);
    this.optionalString(flag, "description", `${what}: description`);
    if (flag.enabled !== undefined && typeof flag.enabled !== "boolean") {
      this.report(flag, "enabled", `${what}: enabled: expected true or false, found ${show(flag.enabled)}`);
    }
    const type = this.flagType(flag, what);
    const variants = this.variants(flag, what);
    if (type === BOOLEAN_FLAG_TYPE) {
      for (const field of ["variants", "rules"]) {
        const value = flag[field];
        if (Array.isArray(value) && value.length > 0) this.report(flag, field, `${what}: a boolean flag has no ${field}; it uses enabled and rollouts`);
      }
    } else if (flag.rollouts !== undefined) {
      this.report(flag, "rollouts", `${what}: rollouts: only boolean flags (type: ${BOOLEAN_FLAG_TYPE}) have rollouts`);
    }
    this.list(flag, "rules").forEach((rule, i) => this.rule(rule, flag.rules as unknown[], i, `${what}: rules[${i}]`, variants));
    this.list(flag, "rollouts").forEach((rollout, i) => this.rollout(rollout, flag.rollouts as unknown[], i, `${what}: rollouts[${i}]`));
    this.lifecycle(flag, what, key);
    if (key === undefined) return;
    this.define("flags", key, flag, what);
    this.state.flags.push({ file: this.file, line: this.source.line(flag), namespace: this.namespace, key, metadata: flag.metadata });
  }

  private flagType(flag: YamlMap, what: string): string {
    if (flag.type === undefined) return VARIANT_FLAG_TYPE;
    if (flag.type === BOOLEAN_FLAG_TYPE || flag.type === VARIANT_FLAG_TYPE) return flag.type;
    this.report(flag, "type", `${what}: type: expected ${BOOLEAN_FLAG_TYPE} or ${VARIANT_FLAG_TYPE}, found ${show(flag.type)}`);
    return VARIANT_FLAG_TYPE;
  }

  private variants(flag: YamlMap, what: string): Set<string> {
    const keys = new Set<string>();
    const list = this.list(flag, "variants");
    let defaults = 0;
    list.forEach((value, i) => {
      const variant = this.map(value, list, i, `${what}: variants[${i}]`);
      if (variant === undefined) return;
      const where = `${what}: variants[${i}]`;
      this.unknownFields(variant, VARIANT_FIELDS, where);
      this.versioned(variant, ["default"], where);
      if (this.nonEmptyString(variant, "key", `${where}.key`)) {
        const key = variant.key as string;
        if (keys.has(key)) this.report(variant, "key", `${where}.key: variant ${JSON.stringify(key)} is defined twice`);
        keys.add(key);
      }
      if (variant.name !== undefined) this.nonEmptyString(variant, "name", `${where}.name`);
      this.optionalString(variant, "description", `${where}.description`);
      if (variant.default !== undefined && typeof variant.default !== "boolean") {
        this.report(variant, "default", `${where}.default: expected true or false, found ${show(variant.default)}`);
      }
      if (variant.default === true && ++defaults === 2) this.report(variant, "default", `${where}: a flag has at most one default variant`);
    });
    return keys;
  }

  private rule(value: unknown, list: unknown[], index: number, what: string, variants: Set<string>): void {
    const rule = this.map(value, list, index, what);
    if (rule === undefined) return;
    this.unknownFields(rule, RULE_FIELDS, what);
    if (rule.segment === undefined) this.report(rule, undefined, `${what}: segment: missing; expected a segment key or {keys, operator}`);
    else if (typeof rule.segment === "string") this.segmentReference(rule.segment, rule, "segment", what);
    else this.segmentKeys(rule, what, ["keys", "operator"]);
    if (rule.rank !== undefined && !Number.isInteger(rule.rank)) this.report(rule, "rank", `${what}.rank: expected an integer, found ${show(rule.rank)}`);
    let total = 0;
    const distributions = this.list(rule, "distributions");
    distributions.forEach((value, i) => {
      const where = `${what}.distributions[${i}]`;
      const distribution = this.map(value, distributions, i, where);
      if (distribution === undefined) return;
      this.unknownFields(distribution, ["variant", "rollout"], where);
      if (this.nonEmptyString(distribution, "variant", `${where}.variant`) && !variants.has(distribution.variant as string)) {
        this.report(distribution, "variant", `${where}.variant: the flag has no variant ${JSON.stringify(distribution.variant)}`);
      }
      total += this.percentage(distribution, "rollout", `${where}.rollout`) ?? 0;
    });
    if (total > 100) this.report(rule, "distributions", `${what}: distributions add up to ${total}%, more than 100%`);
  }

  private rollout(value: unknown, list: unknown[], index: number, what: string): void {
    const rollout = this.map(value, list, index, what);
    if (rollout === undefined) return;
    this.unknownFields(rollout, ROLLOUT_FIELDS, what);
    this.optionalString(rollout, "description", `${what}.description`);
    if ((rollout.segment === undefined) === (rollout.threshold === undefined)) {
      this.report(rollout, undefined, `${what}: expected exactly one of segment or threshold`);
    } else if (rollout.threshold !== undefined) {
      this.thresholdRollout(rollout, `${what}.threshold`);
    } else {
      this.segmentRollout(rollout, what);
    }
  }

  private thresholdRollout(rollout: YamlMap, where: string): void {
    const threshold = this.map(rollout.threshold, rollout, "threshold", where);
    if (threshold === undefined) return;
    this.unknownFields(threshold, ["percentage", "value"], where);
    if (threshold.percentage === undefined) this.report(threshold, undefined, `${where}.percentage: missing`);
    else this.percentage(threshold, "percentage", `${where}.percentage`);
    this.optionalBool(threshold, "value", `${where}.value`);
  }

  private segmentRollout(rollout: YamlMap, what: string): void {
    const where = `${what}.segment`;
    const segment = this.map(rollout.segment, rollout, "segment", where);
    if (segment === undefined) return;
    this.optionalBool(segment, "value", `${where}.value`);
    if (segment.key !== undefined && segment.keys !== undefined) {
      this.report(segment, "keys", `${where}: expected key or keys, not both`);
    } else if (segment.key !== undefined) {
      this.unknownFields(segment, ["key", "operator", "value"], where);
      this.segmentReference(segment.key, segment, "key", where);
      this.segmentOperator(segment, where);
    } else {
      this.segmentKeys(rollout, what, ["keys", "operator", "value"]);
    }
  }

  /** A `segment: {keys: [...], operator}` selector of a rule or rollout. */
  private segmentKeys(parent: YamlMap, what: string, allowed: readonly string[]): void {
    const where = `${what}.segment`;
    const selector = this.map(parent.segment, parent, "segment", where);
    if (selector === undefined) return;
    this.unknownFields(selector, allowed, where);
    const keys = this.list(selector, "keys");
    if (keys.length === 0) this.report(selector, undefined, `${where}.keys: expected at least one segment key`);
    keys.forEach((key, i) => this.segmentReference(key, keys, i, `${where}.keys[${i}]`));
    this.segmentOperator(selector, where);
  }

  private segmentOperator(selector: YamlMap, where: string): void {
    if (selector.operator !== undefined && selector.operator !== null && !SEGMENT_OPERATORS.includes(selector.operator as string)) {
      this.report(selector, "operator", `${where}.operator: expected ${SEGMENT_OPERATORS.join(" or ")}, found ${show(selector.operator)}`);
    }
  }

  private segmentReference(value: unknown, parent: object, field: string | number, what: string): void {
    const key = this.key(value, parent, field, what);
    if (key !== undefined && !this.namespaceState().segments.has(key)) {
      this.report(parent, field, `${what}: namespace "${this.namespace}" has no segment ${JSON.stringify(key)} (defined in this document or a file loaded earlier)`);
    }
  }

  // ---- lifecycle ----

  private lifecycle(flag: YamlMap, what: string, key: string | undefined): void {
    const metadata = flag.metadata;
    const isMap = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata);
    for (const problem of readLifecycle(metadata, this.state.today).problems) {
      if (isMap && problem.field !== undefined) this.report(metadata, problem.field, `${what}: ${problem.message}`);
      else this.report(flag, metadata === undefined ? undefined : "metadata", `${what}: ${problem.message}`);
    }
    if (isMap && key !== undefined) this.legacyKey(metadata as YamlMap, key, what);
  }

  /** A migrated flag's `legacy_key` must map, through fliptKeyFor, to where the flag is. */
  private legacyKey(metadata: YamlMap, key: string, what: string): void {
    const legacyKey = metadata[METADATA.legacyKey];
    if (legacyKey === undefined) return;
    const where = `${what}: metadata.${METADATA.legacyKey}`;
    if (typeof legacyKey !== "string") {
      this.report(metadata, METADATA.legacyKey, `${where}: expected a string, found ${show(legacyKey)}`);
      return;
    }
    try {
      const ref = fliptKeyFor(legacyKey);
      if (ref.namespace !== this.namespace || ref.key !== key) {
        this.report(metadata, METADATA.legacyKey, `${where} ${JSON.stringify(legacyKey)} maps to ${ref.namespace}/${ref.key}, not ${this.namespace}/${key}`);
      }
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      this.report(metadata, METADATA.legacyKey, `${where}: ${error.message}`);
    }
  }

  // ---- shared checks ----

  private define(kind: "flags" | "segments", key: string, node: YamlMap, what: string): void {
    const defined = this.namespaceState()[kind];
    const earlier = defined.get(key);
    if (earlier !== undefined) {
      this.report(node, "key", `${what}: key already used in namespace "${this.namespace}" at ${earlier.file}:${earlier.line}`);
      return;
    }
    defined.set(key, { file: this.file, line: this.source.line(node, "key") });
  }

  private namespaceState(): NamespaceState {
    let state = this.state.namespaces.get(this.namespace);
    if (state === undefined) {
      state = { flags: new Map(), segments: new Map() };
      this.state.namespaces.set(this.namespace, state);
    }
    return state;
  }

  private key(value: unknown, parent: object, field: string | number, what: string): string | undefined {
    if (typeof value === "string" && FLIPT_KEY_PATTERN.test(value)) return value;
    const found = value === undefined ? "nothing" : show(value);
    this.report(parent, field, `${what}: expected a key matching ${FLIPT_KEY_PATTERN.source}, found ${found}`);
    return undefined;
  }

  private percentage(node: YamlMap, field: string, what: string): number | undefined {
    const value = node[field];
    if (typeof value === "number" && value >= 0 && value <= 100) return value;
    this.report(node, field, `${what}: expected a number from 0 to 100, found ${show(value)}`);
    return undefined;
  }

  private nonEmptyString(node: YamlMap, field: string, what: string): boolean {
    const value = node[field];
    if (typeof value === "string" && value !== "") return true;
    this.report(node, value === undefined ? undefined : field, `${what}: expected a non-empty string, found ${value === undefined ? "nothing" : show(value)}`);
    return false;
  }

  private optionalString(node: YamlMap, field: string, what: string): void {
    const value = node[field];
    if (value !== undefined && typeof value !== "string") this.report(node, field, `${what}: expected a string, found ${show(value)}`);
  }

  private optionalBool(node: YamlMap, field: string, what: string): void {
    const value = node[field];
    if (value !== undefined && typeof value !== "boolean") this.report(node, field, `${what}: expected true or false, found ${show(value)}`);
  }

  private unknownFields(node: YamlMap, allowed: readonly string[], what: string): void {
    for (const field of Object.keys(node)) {
      if (!allowed.includes(field)) {
        this.report(node, field, `${what}: unknown field ${JSON.stringify(field)} (expected one of ${allowed.join(", ")})`);
      }
    }
  }

  /** Reports fields of `node` that the document's version does not have yet. */
  private versioned(node: YamlMap, fields: readonly (keyof typeof SINCE)[], what: string): void {
    for (const field of fields) {
      if (node[field] !== undefined && Number(this.version) < Number(SINCE[field])) {
        this.report(node, field, `${what}: ${field} needs version "${SINCE[field]}" or later, the document says "${this.version}"`);
      }
    }
  }

  private map(value: unknown, parent: object | undefined, field: string | number | undefined, what: string): YamlMap | undefined {
    if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) return value as YamlMap;
    this.report(parent ?? {}, field, `${what}: expected a map, found ${show(value)}`);
    return undefined;
  }

  private list(node: YamlMap, field: string): unknown[] {
    const value = node[field];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.report(node, field, `${field}: expected a list, found ${show(value)}`);
    return [];
  }

  private report(node: object, field: string | number | undefined, message: string): void {
    this.state.problems.push({ file: this.file, line: this.source.line(node, field), message });
  }
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Date) return `an unquoted date ${value.toISOString().slice(0, 10)}`;
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a map";
  return JSON.stringify(value);
}
