// A node:http server written in TypeScript: `npm run build` (tsc) compiles
// src/ to dist/, and the one runtime dependency (ms) turns "2h" into
// milliseconds.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import ms from "ms";

export function greeting(): string {
  return `hello from typescript: 2h is ${ms("2h")} ms\n`;
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(greeting());
});

const port = Number(process.env.PORT) || 8080;
server.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
