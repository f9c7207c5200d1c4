-- expect: invalid
function run(input) return {v = } end
