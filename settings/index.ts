export * from "./types";
export { ConfigError, parseSettings, withStack, FLIPT_URL_KEY } from "./parse";
export type { ConfigInput } from "./parse";
