-- expect: script
function run(input) return {v = math.random()} end
