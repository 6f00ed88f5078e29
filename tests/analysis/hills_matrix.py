#!/usr/bin/env python3
# Hills matrix (not a test: a measurement, analysis/MODELS.md "0.6"): rates 200/500/1000 Hz x
# 2-6 m/s x one grade x seeds, a profile like analyze_cli_test.py case `hills` (45 s up, walk 20 s,
# 45 s down), sensor errors on; prints ascent/descent error per run and a summary.
# Usage: /usr/bin/python3 tests/analysis/hills_matrix.py TENDO_BIN TAG GRADE SEED_OFFSETS [WORKDIR]
#   e.g. ... build/tools/tendo now 0.06 0,1 /tmp/hills
import json,sys,subprocess,h5py,os
from concurrent.futures import ThreadPoolExecutor
W=sys.argv[5] if len(sys.argv)>5 else "hills-matrix"; T=sys.argv[1]; tag=sys.argv[2]; grades=[float(g) for g in sys.argv[3].split(",")]; seeds=[int(s) for s in sys.argv[4].split(",")]
strikes={2:"rear",3:"mid",4:"fore",5:"rear",6:"mid"}
def prof(speed,strike,grade):
    return {"segments":[{"kind":"rest","duration_s":6},{"kind":"walk","duration_s":15,"speed_mps":1.4},
      {"kind":"run","duration_s":45,"speed_mps":speed,"footstrike":strike,"grade":grade},
      {"kind":"walk","duration_s":20,"speed_mps":1.3},
      {"kind":"run","duration_s":45,"speed_mps":speed,"footstrike":strike,"grade":-grade},
      {"kind":"walk","duration_s":12,"speed_mps":1.3},{"kind":"rest","duration_s":6}]}
def one(a):
    rate,speed,grade,so=a
    seed=100+10*speed+rate//100+so
    n=f"{W}/{tag}-{rate}-{speed}-{grade}-{seed}"
    json.dump(prof(speed,strikes[speed],grade),open(n+".json","w"))
    subprocess.run([T,"simulate","--out",n+".h5","--profile",n+".json","--force","--rate",str(rate),"--seed",str(seed)],check=True,capture_output=True)
    j=json.loads(subprocess.run([T,"analyze",n+".h5","--json","--no-store"],check=True,capture_output=True,text=True).stdout)
    with h5py.File(n+".h5") as f: t=dict(f["truth"].attrs)
    os.remove(n+".h5")
    ea=100*(j["ascent_m"]/t["ascent_m"]-1); ed=100*(j["descent_m"]/t["descent_m"]-1); eD=100*(j["distance_m"]/t["distance_m"]-1)
    return (rate,speed,strikes[speed],grade,seed,ea,ed,eD,j["ascent_m"],t["ascent_m"],j["descent_m"],t["descent_m"])
os.makedirs(W,exist_ok=True)
jobs=[(r,s,g,so) for g in grades for so in seeds for r in (200,500,1000) for s in (2,3,4,5,6)]
with ThreadPoolExecutor(2) as ex: res=list(ex.map(one,jobs))
bad=0; import math
for r in res:
    flag="  <-- OUT" if max(abs(r[5]),abs(r[6]))>10 else ""
    bad+=bool(flag)
    print("%4d Hz %d m/s %-4s %4.0f%% seed %d: asc %+6.1f%% desc %+6.1f%% dist %+5.2f%%  (%.1f/%.1f, %.1f/%.1f)%s"%(r[0],r[1],r[2],100*r[3],r[4],r[5],r[6],r[7],r[8],r[9],r[10],r[11],flag))
errs=[e for r in res for e in (r[5],r[6])]
print(f"{tag}: {bad}/{len(res)} outside 10%; RMS {math.sqrt(sum(e*e for e in errs)/len(errs)):.1f}%, worst {max(map(abs,errs)):.1f}%")
