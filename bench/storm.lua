-- wrk: a credential-stuffing storm on POST /api/auth/sign_in: every request tries another
-- unknown address from another client address (X-Forwarded-For, with the server trusting one
-- proxy), so neither the account nor the address throttle stops it and every attempt costs
-- a full argon2id verification. Arguments after `--`: origin.
math.randomseed(os.time())

function init(args)
  wrk.method = "POST"
  wrk.headers["Origin"] = args[1]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local n = math.random(1, 1000000000)
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  wrk.headers["X-Forwarded-For"] = ip
  return wrk.format(nil, nil, nil, "email=storm-" .. n .. "%40example.test&password=not-the-password")
end
