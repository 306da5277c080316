#!/usr/bin/env python3
"""Makes a large migration stream with a real QEMU: SIZE bytes of random guest RAM from a memory-backend-file
(share=off, -S, so the RAM block equals the file), migrated to OUT with `exec:cat`. Usage: make-stream.py SIZE IMG OUT"""
import importlib.util, os, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(here, "..", "tests", "fixtures", "make-fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
sys.dont_write_bytecode = True
spec.loader.exec_module(fixtures)

size, img, out = sys.argv[1], sys.argv[2], sys.argv[3]
if not os.path.exists(img):
    subprocess.run(f"head -c {size} /dev/urandom > '{img}'", shell=True, check=True)
work = tempfile.mkdtemp(prefix="qevm-bench-")
sock = os.path.join(work, "qmp.sock")
proc = subprocess.Popen(["qemu-system-x86_64", "-machine", "pc,memory-backend=mem", "-object",
                         f"memory-backend-file,id=mem,size={size},mem-path={img},share=off",
                         "-accel", "tcg", "-nodefaults", "-display", "none", "-S",
                         "-qmp", f"unix:{sock},server=on,wait=off"], stdin=subprocess.DEVNULL)
try:
    q = fixtures.Qmp(sock, proc)
    q.cmd("migrate-set-parameters", **{"max-bandwidth": 100 * 1024 ** 3})
    t = time.monotonic()
    q.cmd("migrate", uri=f"exec:cat > '{out}'")
    while True:
        st = q.cmd("query-migrate").get("status")
        if st == "completed":
            break
        if st in ("failed", "cancelled"):
            raise SystemExit(f"migration {st}")
        time.sleep(0.1)
    print(f"{out}: {os.path.getsize(out)} bytes in {time.monotonic() - t:.1f} s", file=sys.stderr)
    try:
        q.cmd("quit")
    except Exception:
        pass
finally:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
