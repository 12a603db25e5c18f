-- wrk script: POST the file named by BODY_FILE as text/csv.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/csv"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
