-- expect: output
function run(input) local t = {} t.self = t return t end
