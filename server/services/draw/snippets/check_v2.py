import hashlib, hmac, json, math
from decimal import Decimal

r = json.load(open("记录文件.json", encoding="utf-8"))
def mac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
seed = bytes.fromhex(r["server_seed"])
assert hashlib.sha256(seed).hexdigest() == r["commitment"], "服务器种子与承诺值不符"
assert hashlib.sha256(r["population_listing"].encode()).hexdigest() == r["seal"]["population_hash"]
pool = sorted((i["cert_no"], i["department"]) for i in r["inspectors"])
pool_text = "".join(c + "\t" + d + "\n" for c, d in pool)
assert hashlib.sha256(pool_text.encode()).hexdigest() == r["seal"]["inspectors_hash"], "人员名单与封存不符"
key = hashlib.sha256(seed + r["witness_entropy"].encode()).digest()
rows = [line.split("\t") for line in r["population_listing"].splitlines()]
chosen = []
for k in ("low", "general", "higher", "high"):
    scored = sorted((mac(key, "target|" + u), u) for u, s in rows if s == k)
    n = len(scored)                                      # "all"：靶向检查、递补、补派、联合抽查配合部门
    if r["selection_rule"] == "ratios":                  # 按比例：⌈对象数 × 比例⌉
        n = math.ceil(len(scored) * Decimal(r["task"]["ratios"].get(k, "0")))
    if r["selection_rule"] == "counts":                  # 补抽：记录给出每层抽几个
        n = r["counts"].get(k, 0)
    chosen += scored[:n]
chosen.sort()
print("抽中对象一致：", [u for _, u in chosen] == [s["uscc"] for s in r["selections"]])
depts = [d["code"] for d in r["task"]["departments"]]
recused = {(x["cert_no"], x["uscc"]) for x in r["recusals"]}
kept = {m["uscc"]: m["inspectors"] for m in r.get("existing_members", [])}
load, groups = {c: 0 for c, _ in pool}, []
for _, u in chosen:
    group = [i["cert_no"] for i in kept.get(u, [])]
    slots = [d for d in depts if d not in {i["department"] for i in kept.get(u, [])}]
    slots += [None] * (r["task"]["group_size"] - len(group) - len(slots))   # None：任一参与部门
    for j, d in enumerate(slots):
        free = [c for c, cd in pool if cd == d or (d is None and cd in depts)]
        free = [c for c in free if (c, u) not in recused and c not in group]
        if not free:
            break                                        # 无人可派：该对象不派任何人
        low = min(load[c] for c in free)                 # 本次抽取中已分到的检查数最少的人
        least = [c for c in free if load[c] == low]      # 已按执法证号排序
        group.append(least[int(mac(key, f"inspector|{u}|{j}"), 16) % len(least)])
    else:
        new = group[len(kept.get(u, [])):]
        load.update({c: load[c] + 1 for c in new})
        groups.append({"uscc": u, "inspectors": new})
print("检查组一致：", groups == [{"uscc": g["uscc"], "inspectors": [i["cert_no"] for i in g["inspectors"]]}
                             for g in r["assignments"]])
if r["kind"] == "department":                            # 联合抽查：配合部门为发起部门抽中的对象各抽 1 人
    print("配合部门：", r["task"]["department"]["name"], "所依据的发起部门记录摘要：", r["parent_record_sha256"])
