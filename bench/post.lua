-- wrk: POST a form to a server function, same-origin, optionally with a session cookie.
-- Arguments after `--`: origin, cookie (may be empty), body (may be empty).
function init(args)
  wrk.method = "POST"
  wrk.headers["Origin"] = args[1]
  if args[2] ~= nil and args[2] ~= "" then wrk.headers["Cookie"] = args[2] end
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = args[3] or ""
end
