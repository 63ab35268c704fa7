import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir } from "../../settings/schema";
import { anchorsOf, githubSlug, relativeLinks } from "./markdown";

/** Tracked Markdown files, plus new ones not yet committed (so a broken link fails before the commit). */
function markdownFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], {
    cwd: projectDir,
    encoding: "utf8",
  });
  return [...new Set(listed.split("\n").filter(Boolean))]
    .filter((file) => !file.split("/").includes("node_modules") && fs.existsSync(path.join(projectDir, file)))
    .sort();
}

interface ResolvedLink {
  /** `file:line: target`, as a failure lists it. */
  readonly where: string;
  /** Absolute path the link points at (the linking file itself for `#anchor`). */
  readonly targetPath: string;
  readonly anchor?: string;
}

function resolvedLinks(files: readonly string[]): ResolvedLink[] {
  return files.flatMap((file) => {
    const absolute = path.join(projectDir, file);
    return relativeLinks(fs.readFileSync(absolute, "utf8")).map(({ line, target }) => {
      const [pathPart, anchor] = target.split("#", 2);
      const targetPath = pathPart === "" ? absolute : path.resolve(path.dirname(absolute), decodeURIComponent(pathPart));
      return { where: `${file}:${line}: ${target}`, targetPath, anchor: anchor || undefined };
    });
  });
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = anchorsOf(fs.readFileSync(file, "utf8"));
    anchorCache.set(file, anchors);
  }
  return anchors;
}

const FILES = markdownFiles();
const LINKS = resolvedLinks(FILES);

describe("relative links in the repository's Markdown files", () => {
  it("are read from every Markdown file, README.md and docs/ included", () => {
    expect(FILES).toContain("README.md");
    expect(FILES.filter((file) => file.startsWith("docs/")).length).toBeGreaterThan(0);
    expect(LINKS.length).toBeGreaterThan(0);
  });

  it("point at a file or directory that exists", () => {
    const broken = LINKS.filter((link) => !fs.existsSync(link.targetPath)).map((link) => link.where);
    expect(broken, `links to nothing:\n${broken.join("\n")}`).toEqual([]);
  });

  it("with a #anchor into a Markdown file, name one of its headings or <a id> anchors", () => {
    const broken = LINKS.filter(
      (link) =>
        link.anchor !== undefined &&
        link.targetPath.endsWith(".md") &&
        fs.existsSync(link.targetPath) &&
        !anchorsOfFile(link.targetPath).has(link.anchor),
    ).map((link) => link.where);
    expect(broken, `anchors that match no heading:\n${broken.join("\n")}`).toEqual([]);
  });
});

describe("GitHub heading slugs", () => {
  it.each([
    ["Latency at the rate services send (open loop, one core)", "latency-at-the-rate-services-send-open-loop-one-core"],
    ["Workflows (`.github/workflows/`)", "workflows-githubworkflows"],
    ["Tuning, before → after", "tuning-before--after"],
    ["Wiring services: FLIPT_URL", "wiring-services-flipt_url"],
    ["Deploy a stack on this machine: `npm run deploy:local`", "deploy-a-stack-on-this-machine-npm-run-deploylocal"],
    ["**Stand-in:** the [random](x.md) provider", "stand-in-the-random-provider"],
  ])("%s → #%s", (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  it("number a repeated heading -1, -2, … and accept explicit <a id> and <a name> anchors", () => {
    const anchors = anchorsOf('# Notes\n## Notes\n### Notes\n<a id="custom"></a>\n<a name="old-name"></a>');
    expect([...anchors].sort()).toEqual(["custom", "notes", "notes-1", "notes-2", "old-name"]);
  });
});

describe("relative link extraction", () => {
  it("skips absolute links, fenced code blocks and code spans, and numbers lines from 1", () => {
    const markdown = [
      "See [docs](docs/a.md#x) and [site](https://example.org) or [mail](mailto:a@b.c).",
      "```md",
      "[not a link](inside/a/fence.md)",
      "```",
      "`[not a link](in/a/span.md)` ![chart](bench/chart.svg \"title\") [same file](#top)",
    ].join("\n");
    expect(relativeLinks(markdown)).toEqual([
      { line: 1, target: "docs/a.md#x" },
      { line: 5, target: "bench/chart.svg" },
      { line: 5, target: "#top" },
    ]);
  });
});
