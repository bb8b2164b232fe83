// The monorepo's worker: one job, then it exits.
const { greet } = require("@mono/shared");

console.log(greet("worker"));
console.log("worker done");
