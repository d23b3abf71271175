-- wrk script: 保存 of step 4 by a signed-in physician (session cookie + CSRF token from sessions.tsv, line 1).
local cookie, token
init = function(args)
  local f = assert(io.open(args[1], "r"))
  local line = f:read("*l")
  f:close()
  cookie, token = line:match("([^\t]+)\t([^\t]+)")
end
request = function()
  local body = "csrf_token=" .. token .. "&action=save&good_record=%E6%97%A0&bad_record=%E6%97%A0&workload=%E5%90%88%E6%A0%BC&patients=3000"
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "session=" .. cookie}, body)
end
