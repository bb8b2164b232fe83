// The Yarn workspace's web app.
const http = require("http");
const qs = require("qs");
const { greet } = require("@demo/shared");

http
  .createServer((req, res) => {
    const q = qs.parse(req.url.split("?")[1] || "");
    res.end(greet(q.who || "web") + "\n");
  })
  .listen(8080, () => console.log("listening on :8080"));
