-- expect: script
function run(input) string.upper = function() return "pwned" end return {v = 1} end
