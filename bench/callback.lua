-- wrk script: signed text messages to /wechat, a unique MsgId per request, 5,000 distinct users.
-- In plaintext mode the signature covers token, timestamp and nonce only, so one query serves all.
local counter = 0
local thread_id = 0
local words = {"忘记密码", "科室", "报名关闭", "你好", "调入", "手机号", "考试"}

setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local msgid = string.format("%d%09d", thread_id + 1, counter)
  local user = string.format("oBENCH%022d", counter % 5000)
  local body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[" .. user ..
    "]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" ..
    words[(counter % #words) + 1] .. "]]></Content><MsgId>" .. msgid .. "</MsgId></xml>"
  return wrk.format("POST", wrk.path, {["Content-Type"] = "text/xml"}, body)
end
