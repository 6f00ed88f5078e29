#!/usr/bin/env bash
# packaging/udev/70-tendo-pod.rules matches the pods tendo speaks to: the
# VID/PID of acquire/pod_protocol.h and the manufacturer/product strings of
# acquire/pod_emu_device.h (what a pod reports), tags uaccess, never runs a
# program, and every line is a comment, a GOTO/LABEL or a match+assign rule.
#   check_udev_rule.sh SOURCE_DIR
set -u
src=$1
rule=$src/packaging/udev/70-tendo-pod.rules
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
hexval() { grep -E "#define $1 " "$src/acquire/pod_protocol.h" | grep -oE '0x[0-9A-Fa-f]+' | head -1; }
strval() { grep -E "#define $1 " "$src/acquire/pod_emu_device.h" | grep -oE '"[^"]*"' | head -1; }
vid=$(printf '%04x' "$(hexval TENDO_POD_VID)")
pid=$(printf '%04x' "$(hexval TENDO_POD_PID)")
manu=$(strval TENDO_POD_MANUFACTURER)
prod=$(strval TENDO_POD_PRODUCT)
main=$(grep -E '^ATTR' "$rule")
check "the rule matches idVendor $vid" "[[ '$main' == *'ATTR{idVendor}==\"$vid\"'* ]]"
check "the rule matches idProduct $pid" "[[ '$main' == *'ATTR{idProduct}==\"$pid\"'* ]]"
check "the rule matches manufacturer $manu" "[[ '$main' == *'ATTR{manufacturer}==$manu'* ]]"
check "the rule matches product $prod" "[[ '$main' == *'ATTR{product}==$prod'* ]]"
check "the rule tags uaccess" "[[ '$main' == *'TAG+=\"uaccess\"'* ]]"
check "the rule runs no program" "! grep -qE 'RUN|PROGRAM|IMPORT' '$rule'"
mode=$(grep -oE 'MODE="[0-7]+"' "$rule" | grep -oE '[0-7]+' | head -1)
check "the rule grants no world access (MODE $mode)" "[ -n '$mode' ] && [ '${mode: -1}' = 0 ]"
check "every line is a comment, GOTO/LABEL or a rule" \
    "! grep -vE '^(#.*|)$|^ACTION|^SUBSYSTEM|^ENV|^ATTR|^LABEL' '$rule' | grep -q ."
check "every GOTO has its LABEL" \
    "[ \"\$(grep -c 'GOTO=\"tendo_pod_end\"' '$rule')\" -ge 1 ] && grep -q '^LABEL=\"tendo_pod_end\"' '$rule'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
