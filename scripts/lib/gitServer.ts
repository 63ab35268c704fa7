/**
 * A Git smart-HTTP server on 127.0.0.1 for the local runner and the end-to-end tests: a small
 * node HTTP server that runs `git http-backend` as a CGI program for every request, behind the
 * same kind of authentication Flipt is configured for (HTTP basic, or a bearer access token as
 * go-git sends it for `storage.git.authentication.token`). It can be stopped and started again
 * on the same port, for the Git-outage tests.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";

export type GitServerAuth =
  | { readonly kind: "none" }
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | { readonly kind: "token"; readonly token: string };

export interface GitServerOptions {
  readonly gitBin: string;
  /** Directory holding the served (bare) repositories; a repository's URL path is its path under it. */
  readonly projectRoot: string;
  readonly auth: GitServerAuth;
  /** Defaults to a port the OS picks. */
  readonly port?: number;
  /** Defaults to 127.0.0.1 (the flags relay's pod listens on its pod address). */
  readonly host?: string;
  /** Serve fetches only: pushes are refused with 403 (the flags relay's repository). */
  readonly readOnly?: boolean;
  /** Answers other paths first (the relay's /metrics and probes); returns true when it answered. */
  readonly routes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface GitServerCounts {
  /** Requests that passed authentication and reached git http-backend. */
  served: number;
  /** Requests rejected with 401. */
  rejected: number;
}

const REALM = "flags";

function authorized(header: string | undefined, auth: GitServerAuth): boolean {
  switch (auth.kind) {
    case "none":
      return true;
    case "basic": {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
      return header === expected;
    }
    case "token":
      return header === `Bearer ${auth.token}`;
  }
}

/** The CGI variables git http-backend reads (RFC 3875 plus Git's own). */
function cgiEnvironment(req: http.IncomingMessage, options: GitServerOptions): NodeJS.ProcessEnv {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    // The repositories belong to whoever runs the tests; never trip over safe.directory.
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: "safe.directory",
    GIT_CONFIG_VALUE_0: "*",
    GIT_CONFIG_KEY_1: "http.receivepack",
    GIT_CONFIG_VALUE_1: options.readOnly ? "false" : "true",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    REMOTE_USER: options.auth.kind === "basic" ? options.auth.username : "flipt",
  };
  if (req.headers["content-type"]) env.CONTENT_TYPE = req.headers["content-type"];
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);
  return env;
}

/** Streams a CGI program's output to the HTTP response: headers (with `Status:`) first, then the body. */
function relayCgiOutput(child: ChildProcess, res: http.ServerResponse): void {
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout!.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString("latin1");
    const match = /\r?\n\r?\n/.exec(text);
    if (!match) return;
    headersDone = true;
    let status = 200;
    for (const line of text.slice(0, match.index).split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(match.index + match[0].length));
  });
  child.stdout!.on("end", () => {
    if (!headersDone) res.writeHead(502);
    res.end();
  });
}

export class GitServer {
  readonly counts: GitServerCounts = { served: 0, rejected: 0 };
  private server: http.Server | undefined;
  private readonly backends = new Set<ChildProcess>();
  private readonly sockets = new Set<net.Socket>();
  private boundPort: number;

  constructor(private readonly options: GitServerOptions) {
    this.boundPort = options.port ?? 0;
  }

  get port(): number {
    return this.boundPort;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The clone URL of a repository under the project root, e.g. `flipt-deploy.git`. */
  url(repository: string): string {
    return `http://127.0.0.1:${this.boundPort}/${repository}`;
  }

  /** Starts listening (again, on the same port after a stop). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.boundPort, this.options.host ?? "127.0.0.1", () => resolve());
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection, as an unreachable Git host would. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const child of this.backends) child.kill("SIGKILL");
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.options.routes?.(req, res)) return;
    if (this.options.readOnly && (req.url ?? "").includes("git-receive-pack")) {
      res.writeHead(403, { "Content-Type": "text/plain" });
      res.end("this repository is read-only\n");
      return;
    }
    if (!authorized(req.headers.authorization, this.options.auth)) {
      this.counts.rejected++;
      res.writeHead(401, { "WWW-Authenticate": `Basic realm="${REALM}"`, "Content-Type": "text/plain" });
      res.end("authentication required\n");
      return;
    }
    this.counts.served++;
    const child = spawn(this.options.gitBin, ["http-backend"], {
      env: cgiEnvironment(req, this.options),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.backends.add(child);
    child.on("exit", () => this.backends.delete(child));
    child.on("error", () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    child.stdin.on("error", () => undefined); // the backend may exit before reading everything
    child.stderr.on("data", (chunk: Buffer) => process.stderr.write(`[git http-backend] ${chunk.toString()}`));
    req.pipe(child.stdin);
    relayCgiOutput(child, res);
  }
}

export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const server = new GitServer(options);
  await server.start();
  return server;
}
