// A CommonJS script whose dependency comes from a Yarn classic (1.x)
// yarn.lock: mime-types and the mime-db it requires.
const mime = require("mime-types");

const file = "report.pdf";
console.log(`yarn classic app: ${file} is ${mime.lookup(file)}`);
