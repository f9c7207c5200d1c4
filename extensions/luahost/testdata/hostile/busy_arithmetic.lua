-- expect: budget
function run(input) local x = 0 for i = 1, 1e12 do x = x + i end return {x = x} end
