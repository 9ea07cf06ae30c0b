-- wrk script: every request books a different slot with a different email.
-- Slots: 5-minute starts from BASE (epoch seconds) on, spread over OFFICERS officers.
local counter = 0
local threads = {}
local base = tonumber(os.getenv("BASE"))
local officers = tonumber(os.getenv("OFFICERS"))
local boundary = "vappointbench"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("THREADS"))
end

local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
  local i = id + counter * nthreads
  counter = counter + 1
  local officer = (i % officers) + 1
  local slot = math.floor(i / officers)
  local start = os.date("!%Y-%m-%dT%H:%M:%SZ", base + slot * 300)
  local body = field("officer_id", tostring(officer)) .. field("start", start)
    .. field("name", "Bench Citizen") .. field("email", "c" .. i .. "@bench.example")
    .. field("reason_category", "complaint") .. field("reason", "benchmark booking")
    .. "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/appointments",
    { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }, body)
end

local created, other = 0, 0
function response(status, headers, body)
  if status == 202 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("bench: bookings answered %d in %.1f s\n", summary.requests, summary.duration / 1e6))
end
