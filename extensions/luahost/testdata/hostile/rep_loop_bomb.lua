-- expect: script|budget
function run(input) local s = "x" for i = 1, 40 do s = s:rep(2) end return {n = #s} end
