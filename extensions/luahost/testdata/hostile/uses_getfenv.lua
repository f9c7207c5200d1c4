-- expect: script
function run(input) local g = getfenv(0) return {v = 1} end
