-- expect: script
function run(input) local f = io.open("/etc/passwd") return {s = f:read("*a")} end
