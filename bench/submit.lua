-- wrk script: 提交信息, each request by the next physician in sessions.tsv (each submits once).
local sessions = {}
local counter = 0
local offset = 0
local threads = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
init = function(args)
  for line in io.lines(args[1]) do
    local cookie, token = line:match("([^\t]+)\t([^\t]+)")
    sessions[#sessions + 1] = {cookie, token}
  end
  -- Each thread takes every other line from this round's starting line (args[2]), so no two
  -- requests submit the same physician.
  counter = tonumber(args[2] or "0") + offset
end
request = function()
  local s = sessions[(counter % #sessions) + 1]
  counter = counter + 2
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "session=" .. s[1]},
                    "csrf_token=" .. s[2])
end
