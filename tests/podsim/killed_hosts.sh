#!/bin/sh
# Run under tendo-podsim: hosts killed (SIGKILL) at ten points of a download
# leave the pod usable; the next host reads both sessions bit for bit.
# usage: killed_hosts.sh CLIENT A.h5 B.h5
client=$1 a=$2 b=$3
for i in 1 2 3 4 5 6 7 8 9 10; do
    "$client" read L01 0 0 4096 "$a" "$b" >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$i"
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
done
exec "$client" read L01 0 0 65536 "$a" "$b"
