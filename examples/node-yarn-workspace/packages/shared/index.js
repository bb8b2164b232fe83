// The workspace's library, linked into the web app by Yarn.
const ms = require("ms");

exports.greet = (who) => `hello, ${who} from a Yarn workspace (${ms(2 * 60 * 1000, { long: true })})`;
