-- expect: script
function run(input) return {t = os.time()} end
