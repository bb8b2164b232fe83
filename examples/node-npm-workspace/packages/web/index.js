// The workspace's web app: npm links @ws/format into the root
// node_modules, where require finds it from here.
const http = require("http");
const qs = require("qs");
const { uptime } = require("@ws/format");

const started = Date.now();
http
  .createServer((req, res) => {
    const q = qs.parse(req.url.split("?")[1] || "");
    res.end(`web ${uptime(Date.now() - started + 90 * 60 * 1000)} for ${q.who || "you"}\n`);
  })
  .listen(8080, () => console.log("listening on :8080"));
