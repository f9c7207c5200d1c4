-- expect: script
function run(input) return {v = loadstring("return 1")()} end
