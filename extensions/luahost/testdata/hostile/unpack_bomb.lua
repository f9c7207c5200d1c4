-- expect: budget|script
function run(input) local t = {} for i = 1, 300000 do t[i] = i end return {n = select("#", unpack(t))} end
