-- wrk script: 保存 of step 4, each request by the next signed-in physician in sessions.tsv (as many
-- physicians saving at once, not one draft saved 64 times in parallel).
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
  counter = offset
end
request = function()
  local s = sessions[(counter % #sessions) + 1]
  counter = counter + 2
  local body = "csrf_token=" .. s[2] .. "&action=save&good_record=%E6%97%A0&bad_record=%E6%97%A0&workload=%E5%90%88%E6%A0%BC&patients=3000"
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "session=" .. s[1]}, body)
end
