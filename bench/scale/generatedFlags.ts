/**
 * The generated flags live in bench/lib/generatedFlags.ts (the scale and goruntime sections share
 * them); this name stays for the importers outside bench/ (the e2e tier, the flags tool's tests).
 */
export * from "../lib/generatedFlags";
