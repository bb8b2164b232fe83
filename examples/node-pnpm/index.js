// A CommonJS script on pnpm's node_modules layout: qs is a symlink into
// node_modules/.pnpm, and the ~20 packages it pulls in are reachable only
// from there.
const qs = require("qs");

const query = "user[name]=ada&user[langs][]=js&user[langs][]=c";
console.log(`pnpm app: ${JSON.stringify(qs.parse(query))}`);
