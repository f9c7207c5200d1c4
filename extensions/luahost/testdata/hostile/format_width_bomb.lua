-- expect: script
function run(input) return {s = string.format("%099999999d", 1)} end
