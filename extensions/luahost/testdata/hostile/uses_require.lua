-- expect: script
function run(input) local os = require("os") return {v = 1} end
