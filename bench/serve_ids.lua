-- wrk script of bench/serve.sh: each request asks the pre-registration
-- check for the next ID of the file named by $IDS (one ID a line), each
-- wrk thread starting at its own place in the list.
local ids = {}
local next_id = 1
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("start", counter * 997)
end

function init(args)
  for line in io.lines(os.getenv("IDS")) do
    ids[#ids + 1] = line
  end
  if #ids == 0 then
    error("serve_ids.lua: no IDs in " .. tostring(os.getenv("IDS")))
  end
  next_id = (start or 0) % #ids + 1
end

function request()
  local id = ids[next_id]
  next_id = next_id % #ids + 1
  return wrk.format("GET", wrk.path .. "?id=" .. id)
end
