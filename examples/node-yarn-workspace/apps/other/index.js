console.log("other", require("is-number")(1));
