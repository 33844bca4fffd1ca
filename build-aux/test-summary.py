#!/usr/bin/env python3
# Prints the closing line of a test run, counting the individual test cases
# inside each test program (GLib's TAP output), from meson's testlog.json.
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        entry = json.loads(line)
        if entry.get("is_parallel") is None and "result" not in entry:
            continue
        cases = re.findall(r"^(ok|not ok) \d+[^\n]*", entry.get("stdout") or "", re.M)
        if not cases:
            # A program without TAP output counts as one case.
            if entry["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif entry["result"] == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        for case in re.finditer(r"^(ok|not ok) \d+([^\n]*)", entry["stdout"], re.M):
            if "# SKIP" in case.group(2):
                skipped += 1
            elif case.group(1) == "ok":
                passed += 1
            else:
                failed += 1
        if entry["result"] not in ("OK", "EXPECTEDFAIL", "SKIP"):
            # A program that crashed or timed out fails even if its
            # finished cases passed.
            failed += 1

print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
