-- wrk script for scripts/load.sh: POST /v1/report with the same batch every time
-- (LOAD_BODY, built by load.sh's report_body). LOAD_DELAY_MS > 0 makes each connection
-- pause that long before each request (a steady report stream); 0 or unset: back to back.
-- The RESULT line at the end is load.lua's.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "load.lua")

local post = wrk.format("POST", "/v1/report", { ["content-type"] = "application/json" },
  assert(os.getenv("LOAD_BODY"), "LOAD_BODY is not set"))
local pause = tonumber(os.getenv("LOAD_DELAY_MS") or "0")

function request()
  return post
end

if pause > 0 then
  function delay()
    return pause
  end
end
