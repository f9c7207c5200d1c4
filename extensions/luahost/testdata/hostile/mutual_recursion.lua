-- expect: budget
local a, b
function a(n) return b(n) + 1 end
function b(n) return a(n) + 1 end
function run(input) return {v = a(1)} end
