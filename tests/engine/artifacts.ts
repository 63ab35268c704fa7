/**
 * Files the engine tier keeps after it ends (the preview diff a pull request's comment would
 * carry): under $ENGINE_ARTIFACTS_DIR, by default .artifacts/engine in the repository (ignored by git).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectDir } from "../../settings/schema";

export function artifactDir(): string {
  return process.env.ENGINE_ARTIFACTS_DIR ?? path.join(projectDir, ".artifacts", "engine");
}

/** Writes an artifact and returns its path. */
export function writeArtifact(name: string, content: string): string {
  const file = path.join(artifactDir(), name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
