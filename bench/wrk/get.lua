-- GET case: wrk ... -s get.lua URL -- PATHS_FILE
-- Cycles through the paths in PATHS_FILE (one per line), each thread from its own offset.
dofile("report.lua")

local paths, i = {}, 0

function init(args)
  paths = read_lines(args[1])
  i = (id or 0) % #paths
  wrk.headers["Accept"] = "application/fhir+json"
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
