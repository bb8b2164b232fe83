// The monorepo's HTTP API: it answers with the shared package's greeting
// and echoes the query string, parsed by qs.
const http = require("http");
const qs = require("qs");
const { greet } = require("@mono/shared");

http
  .createServer((req, res) => {
    const query = qs.parse((req.url.split("?")[1]) || "");
    res.end(greet(query.who || "api") + "\n");
  })
  .listen(8080, () => console.log("listening on :8080"));
