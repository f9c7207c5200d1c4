-- expect: script
function run(input) return {v = dofile("/etc/passwd")} end
