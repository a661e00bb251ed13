-- wrk script for `make bench`. The runner puts a `config` table above this text:
--   method, paths, cookies, bodies (POST only), placeholder (where a body takes a fresh submission),
--   distinct (true: each path is used once; running out is counted in `wrapped`),
--   expect_status, expect_location (a Lua pattern, or nil), origin, threads, run_id.
-- Every answer is checked: anything but the expected status (and redirect target) is counted
-- as unexpected, so that a fast wrong answer cannot pass for a fast page.

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   sent = 0
   wrapped = 0
   unexpected = 0
   statuses = {}
   samples = {}
end

local function pick(list, n)
   return list[(n % #list) + 1]
end

function request()
   -- One sequence over all threads: thread i sends numbers i, i + threads, i + 2 * threads ...
   local n = sent * config.threads + thread_index
   sent = sent + 1
   local headers = {
      ["Cookie"] = pick(config.cookies, n),
      ["X-Forwarded-Proto"] = "https",
   }
   if n >= #config.paths and config.distinct then
      wrapped = wrapped + 1
   end
   local path = pick(config.paths, n)
   if config.method == "GET" then
      return wrk.format("GET", path, headers)
   end
   headers["Origin"] = config.origin
   headers["Referer"] = config.origin .. path
   headers["Content-Type"] = "application/x-www-form-urlencoded"
   local submission = string.format("%s%dx%d", config.run_id, thread_index, sent)
   local body = string.gsub(pick(config.bodies, n), config.placeholder, submission)
   return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   local location = headers["Location"] or headers["location"] or ""
   local ok = status == config.expect_status
   if ok and config.expect_location then
      ok = string.match(location, config.expect_location) ~= nil
   end
   if not ok then
      unexpected = unexpected + 1
      if #samples < 5 then
         table.insert(samples, key .. " " .. location)
      end
   end
end

function done(summary, latency, requests)
   local result = {
      requests = summary.requests,
      duration_us = summary.duration,
      rps = summary.duration > 0 and summary.requests / (summary.duration / 1e6) or 0,
      p50_us = latency:percentile(50),
      p95_us = latency:percentile(95),
      p99_us = latency:percentile(99),
      mean_us = latency.mean,
      max_us = latency.max,
      errors = {
         connect = summary.errors.connect,
         read = summary.errors.read,
         write = summary.errors.write,
         timeout = summary.errors.timeout,
      },
      statuses = {},
      unexpected = 0,
      wrapped = 0,
      samples = {},
   }
   for _, thread in ipairs(threads) do
      for key, count in pairs(thread:get("statuses")) do
         result.statuses[key] = (result.statuses[key] or 0) + count
      end
      result.unexpected = result.unexpected + thread:get("unexpected")
      result.wrapped = result.wrapped + thread:get("wrapped")
      for _, sample in ipairs(thread:get("samples")) do
         table.insert(result.samples, sample)
      end
   end
   io.write("BENCH_JSON " .. encode(result) .. "\n")
end
