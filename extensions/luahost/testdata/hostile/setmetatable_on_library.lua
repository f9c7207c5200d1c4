-- expect: script
function run(input) setmetatable(math, {__index = function() return 42 end}) return {v = 1} end
