/**
 * Just enough Markdown for checking links: the relative links of a file (outside fenced code
 * blocks and code spans) and the anchors GitHub gives its headings.
 */

export interface MarkdownLink {
  /** 1-based line of the link in its file. */
  readonly line: number;
  /** The link's target as written, e.g. `../docs/testing.md#testing` or `#flags`. */
  readonly target: string;
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const CODE_SPAN = /(`+)[^`]*?\1/g;
/** `[text](target)` or `![alt](target)`, text with at most one level of nested brackets, optional title. */
const INLINE_LINK = /\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const ATX_HEADING = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
const EXPLICIT_ANCHOR = /<a\s+[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']/gi;
/** A scheme such as https:, mailto: or ftp: makes a link absolute. */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/** The lines of `markdown` outside fenced code blocks, with their 1-based numbers. */
function linesOutsideFences(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let openFence: string | undefined;
  markdown.split("\n").forEach((text, index) => {
    const fence = FENCE.exec(text)?.[1];
    if (openFence !== undefined) {
      if (fence !== undefined && fence[0] === openFence[0] && fence.length >= openFence.length) openFence = undefined;
      return;
    }
    if (fence !== undefined) {
      openFence = fence;
      return;
    }
    lines.push({ text, line: index + 1 });
  });
  return lines;
}

/** The relative links of a Markdown file: not absolute (http(s), mailto, …), not in code. */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text, line } of linesOutsideFences(markdown)) {
    for (const match of text.replace(CODE_SPAN, "").matchAll(INLINE_LINK)) {
      const target = match[1];
      if (!ABSOLUTE.test(target)) links.push({ line, target });
    }
  }
  return links;
}

/** A heading's text as GitHub renders it: code spans, links, images and emphasis reduced to their text. */
function renderedText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/`/g, "")
    .replace(/(\*\*|__|\*)(.+?)\1/g, "$2");
}

/**
 * GitHub's slug for a heading: lowercase, every character other than a letter, digit, space,
 * hyphen or underscore removed, each space a hyphen.
 */
export function githubSlug(heading: string): string {
  return renderedText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a file offers: its headings' slugs (a repeated slug gets -1, -2, …) and explicit `<a id|name>`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of linesOutsideFences(markdown)) {
    for (const match of text.matchAll(EXPLICIT_ANCHOR)) anchors.add(match[1]);
    const heading = ATX_HEADING.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
