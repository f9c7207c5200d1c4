-- expect: script
function run(input) return {s = string.dump(run)} end
