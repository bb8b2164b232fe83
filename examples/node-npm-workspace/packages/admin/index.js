// Another app of the workspace, which the web app's image leaves out.
const { uptime } = require("@ws/format");
console.log("admin", uptime(1000), require("is-number")(1));
