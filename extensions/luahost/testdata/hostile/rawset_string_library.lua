-- expect: script
function run(input) rawset(string, "upper", function() return "pwned" end) return {v = 1} end
