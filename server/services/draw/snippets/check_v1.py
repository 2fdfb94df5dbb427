import hashlib, hmac, json, math
from decimal import Decimal
r = json.load(open("记录文件.json", encoding="utf-8"))
seed = bytes.fromhex(r["server_seed"])
assert hashlib.sha256(seed).hexdigest() == r["commitment"]
assert hashlib.sha256(r["population_listing"].encode()).hexdigest() == r["population_hash"]
key = hashlib.sha256(seed + r["witness_entropy"].encode()).digest()
pairs = [line.split("\t") for line in r["population_listing"].splitlines()]
chosen = []
for k in ("low", "general", "higher", "high"):
    members = sorted((hmac.new(key, ("target|" + u).encode(), hashlib.sha256).hexdigest(), u)
                     for u, s in pairs if s == k)
    n = math.ceil(len(members) * Decimal(r["task"]["ratios"].get(k, "0")))   # 靶向任务为全部
    chosen += [(score, u) for score, u in members[:n]]
print(sorted(chosen) == sorted((s["score"], s["uscc"]) for s in r["selections"]))
