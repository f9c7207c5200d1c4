-- expect: budget|script
function run(input) local s = "x" for i = 1, 60 do s = s .. s end return {n = #s} end
