-- expect: budget
local function f(n) return f(n + 1) + 1 end
function run(input) return {v = f(1)} end
