-- expect: output
function run(input) return {v = 0/0} end
