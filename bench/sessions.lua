-- wrk script: POSTs by many signed-in physicians, each request by the next one in sessions.tsv
-- (args[1]), starting at line args[2]; args[3] is the rest of the form body (after the CSRF token),
-- or "GET" for a page opened by each of them in turn.
-- Each thread takes every other line, so no two requests in a round act for the same physician.
local sessions = {}
local counter = 0
local offset = 0
local threads = 0
local extra = ""
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
init = function(args)
  for line in io.lines(args[1]) do
    local cookie, token = line:match("([^\t]+)\t([^\t]+)")
    sessions[#sessions + 1] = {cookie, token}
  end
  counter = tonumber(args[2] or "0") + offset
  extra = args[3] or ""
end
request = function()
  local s = sessions[(counter % #sessions) + 1]
  counter = counter + 2
  if extra == "GET" then
    return wrk.format("GET", wrk.path, {["Cookie"] = "session=" .. s[1]})
  end
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "session=" .. s[1]},
                    "csrf_token=" .. s[2] .. extra)
end
