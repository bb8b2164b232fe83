// Seed 004's Node API without its external geo lookup: two JSON routes.
const express = require("express");

const app = express();

app.get("/", (req, res) => {
  res.json({ message: "Hello from Express" });
});

app.get("/healthz", (req, res) => {
  res.json({ status: "ok" });
});

const port = Number(process.env.PORT) || 3000;
const server = app.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});

// PID 1 in a container gets no default signal handlers: stop on SIGTERM.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
