-- expect: output
function run(input) return {1, 2, x = 3} end
