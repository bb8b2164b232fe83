// The workspace's library: the web app and the admin app format with it.
const ms = require("ms");

exports.uptime = (millis) => `up ${ms(millis, { long: true })}`;
