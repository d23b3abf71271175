-- wrk script: exam takers saving answers (POST /m/attempts/<id>/answer with session, CSRF token,
-- question and option, as the paper's autosave sends them). Lines of args[1]: cookie, token,
-- attempt, question, option; each thread takes every other line.
local lines = {}
local counter = 0
local offset = 0
local threads = 0
setup = function(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
init = function(args)
  for line in io.lines(args[1]) do
    local cookie, token, attempt, question, option = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
    lines[#lines + 1] = {cookie, token, attempt, question, option}
  end
  counter = tonumber(args[2] or "0") + offset
end
request = function()
  local a = lines[(counter % #lines) + 1]
  counter = counter + 2
  return wrk.format("POST", "/m/attempts/" .. a[3] .. "/answer",
                    {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "session=" .. a[1],
                     ["Accept"] = "application/json"},
                    "csrf_token=" .. a[2] .. "&question_id=" .. a[4] .. "&choice=" .. a[5])
end
