-- JSON for the results `done()` prints (shared by wrk.lua and mixed.lua; the runner puts it above
-- each script). Whole numbers are written without a fraction: the mixed run prints every latency.

local function quote(text)
   return '"' .. string.gsub(tostring(text), '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end) .. '"'
end

local function encode(value)
   if type(value) == "table" then
      local parts = {}
      if #value > 0 then
         for _, item in ipairs(value) do
            table.insert(parts, encode(item))
         end
         return "[" .. table.concat(parts, ",") .. "]"
      end
      for k, v in pairs(value) do
         table.insert(parts, quote(k) .. ":" .. encode(v))
      end
      return "{" .. table.concat(parts, ",") .. "}"
   elseif type(value) == "number" then
      if value == math.floor(value) and math.abs(value) < 2 ^ 53 then
         return string.format("%d", value)
      end
      return string.format("%.6f", value)
   end
   return quote(value)
end
