-- POST case: wrk ... -s post.lua URL -- PATH CONTENT_TYPE BODY_FILE
-- Sends the same body every time (the transaction case uses PUT entries with ids, so it is idempotent).
dofile("report.lua")

function init(args)
  wrk.method = "POST"
  wrk.path = args[1]
  wrk.headers["Content-Type"] = args[2]
  wrk.headers["Accept"] = "application/fhir+json"
  wrk.body = read_file(args[3])
end
