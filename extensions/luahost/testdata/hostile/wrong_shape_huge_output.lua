-- expect: output
function run(input) local t = {} for i = 1, 2000 do t[i] = "0123456789abcdef" end return t end
