-- expect: script
function run(input) local f = load("return 1") return {v = f()} end
