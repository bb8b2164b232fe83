// libpq's native addon, compiled from source by node-gyp at install time
// against the system libpq (pg_config from libpq-dev in the builder); no
// database is needed to load it.
const Libpq = require("libpq");

const pq = new Libpq();
console.log("native addon loaded:", typeof pq.connectSync);
