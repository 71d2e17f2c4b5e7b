-- bench/sms.lua: wrk script for bench/sms.sh.  Every request is a signed
-- Twilio webhook from a file of pre-signed ones ("SIGNATURE BODY" per
-- line; Lua has no HMAC-SHA1), each thread taking its own lines so that no
-- MessageSid is sent twice while the file lasts.
local threads = 0
local reqs, i = {}, 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  local file, n, k = args[1], tonumber(args[2]), 0
  for line in io.lines(file) do
    if k % n == id then
      local sig, body = line:match("^(%S+) (.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/sms/twilio",
        { ["Content-Type"] = "application/x-www-form-urlencoded",
          ["X-Twilio-Signature"] = sig }, body)
    end
    k = k + 1
  end
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
