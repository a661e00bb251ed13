-- wrk script for `make bench`'s mixed run. The runner puts a `config` table above this text:
--   pages: one table per page of the mix: key, method, paths, cookies, bodies (POST only),
--     expect_status, expect_location (a Lua pattern, or nil);
--   deck: page numbers (1-based), each as many times as its page's weight;
--   placeholder, origin, threads, run_id (as in wrk.lua).
-- Each request draws its page from the thread's shuffled copy of the deck, so the mix holds over
-- every few dozen requests. wrk's own latency histogram lumps every page together, so the script
-- times each answer itself. It must run with one connection per thread (wrk -tN -cN): request()
-- and response() then alternate on that one connection, and an answer is always to the page last
-- requested. A request() with the previous request still unanswered means wrk gave up on that
-- connection (a socket error) and is sending on a new one: the page's request is counted as lost.
-- done() does not copy each thread's tables with thread:get(): wrk 4.1's copy of a table pops the
-- thread's Lua stack once too often, and after a few such calls wrk crashes. It reads one string
-- per thread instead, the global `results`, which the thread's state writes when it is read (an
-- __index on its globals, run after the thread has stopped), and prints them for the runner to
-- add up.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function time_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
   return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local threads = {}
-- Each thread's own (every thread runs this file in a Lua state of its own).
local sent, order, drawn, used, pending, started, pages, checking

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(20261207 + thread_index)
   sent = 0
   order = {}
   drawn = #config.deck -- shuffle before the first draw
   used = {} -- requests sent per page, to walk each page's paths and cookies
   pending = nil -- the page waiting for its answer (one connection: one at a time)
   started = 0
   -- Before the run, wrk calls the first thread's request() once to check what it returns
   -- (script_verify_request), and never sends it: that one is not waited for.
   checking = thread_index == 0
   pages = {} -- by key: latencies (µs), statuses, unexpected, lost, samples
   for i, page in ipairs(config.pages) do
      used[i] = 0
      pages[page.key] = { latencies = {}, statuses = {}, unexpected = 0, lost = 0, samples = {} }
   end
   setmetatable(_G, {
      __index = function(_, name)
         if name == "results" then
            return encode(pages)
         end
      end,
   })
end

local function draw()
   if drawn >= #config.deck then
      for i, card in ipairs(config.deck) do
         order[i] = card
      end
      for i = #order, 2, -1 do
         local j = math.random(i)
         order[i], order[j] = order[j], order[i]
      end
      drawn = 0
   end
   drawn = drawn + 1
   return order[drawn]
end

local function pick(list, n)
   return list[(n % #list) + 1]
end

function request()
   if pending then
      pages[pending.key].lost = pages[pending.key].lost + 1
   end
   local i = draw()
   local page = config.pages[i]
   -- Per page, one sequence over all threads, as in wrk.lua.
   local n = used[i] * config.threads + thread_index
   used[i] = used[i] + 1
   sent = sent + 1
   local headers = {
      ["Cookie"] = pick(page.cookies, n),
      ["X-Forwarded-Proto"] = "https",
   }
   local path = pick(page.paths, n)
   local text
   if page.method == "GET" then
      text = wrk.format("GET", path, headers)
   else
      headers["Origin"] = config.origin
      headers["Referer"] = config.origin .. path
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      local submission = string.format("%sm%dx%d", config.run_id, thread_index, sent)
      local body = string.gsub(pick(page.bodies, n), config.placeholder, submission)
      text = wrk.format("POST", path, headers, body)
   end
   if checking then
      checking = false
   else
      pending = page
      started = time_us()
   end
   return text
end

function response(status, headers, body)
   if not pending then
      return
   end
   local page, stats = pending, pages[pending.key]
   pending = nil
   table.insert(stats.latencies, time_us() - started)
   local key = tostring(status)
   stats.statuses[key] = (stats.statuses[key] or 0) + 1
   local location = headers["Location"] or headers["location"] or ""
   local ok = status == page.expect_status
   if ok and page.expect_location then
      ok = string.match(location, page.expect_location) ~= nil
   end
   if not ok then
      stats.unexpected = stats.unexpected + 1
      if #stats.samples < 3 then
         table.insert(stats.samples, key .. " " .. location)
      end
   end
end

function done(summary, latency, requests)
   local result = {
      requests = summary.requests,
      duration_us = summary.duration,
      errors = {
         connect = summary.errors.connect,
         read = summary.errors.read,
         write = summary.errors.write,
         timeout = summary.errors.timeout,
      },
      threads = {},
   }
   for _, thread in ipairs(threads) do
      table.insert(result.threads, thread:get("results"))
   end
   io.write("BENCH_JSON " .. encode(result) .. "\n")
end
