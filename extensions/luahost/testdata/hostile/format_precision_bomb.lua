-- expect: script
function run(input) return {s = string.format("%.99999f", 1)} end
