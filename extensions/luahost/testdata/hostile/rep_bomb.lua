-- expect: script
function run(input) return {s = string.rep("x", 1e9)} end
