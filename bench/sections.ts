/**
 * The registry: every section of the bench by name (the names and their order in the JSON and the
 * table are results.ts's SECTIONS), and the order run.ts measures them in.
 */
import { evaluationSection } from "./evaluation/section";
import { footprintSection } from "./footprint/section";
import { goRuntimeSection } from "./goruntime/section";
import { latencySection } from "./latency/section";
import { programSection } from "./program/section";
import { propagationSection } from "./propagation/section";
import type { SectionName, SectionResults } from "./results";
import { scaleSection } from "./scale/section";
import type { Section } from "./section";
import { transportSection } from "./transport/section";
import { tuningSection } from "./tuning/section";

export const REGISTRY: { readonly [K in SectionName]: Section<SectionResults[K]> } = {
  propagation: propagationSection,
  evaluation: evaluationSection,
  footprint: footprintSection,
  program: programSection,
  tuning: tuningSection,
  latency: latencySection,
  transport: transportSection,
  scale: scaleSection,
  goruntime: goRuntimeSection,
};

/**
 * Evaluation, footprint and tuning in this order share their load runs (lib/loadRuns.ts); the
 * program last, when no Flipt is running: npm test uses both cores.
 */
export const MEASUREMENT_ORDER: readonly SectionName[] = ["propagation", "evaluation", "footprint", "tuning", "latency", "transport", "scale", "goruntime", "program"];
