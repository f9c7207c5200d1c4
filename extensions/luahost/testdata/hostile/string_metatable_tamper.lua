-- expect: script
function run(input) local mt = getmetatable("") mt.__index = {upper = function() return "pwned" end} return {v = 1} end
