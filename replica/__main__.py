"""python -m replica [--port N] [--seed S]: serve the replica web until Ctrl-C."""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m replica", description="Serve the replica web as an HTTP proxy.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seed", type=int, default=2024, help="corpus seed (default 2024)")
    args = parser.parse_args(argv)

    from replica.server import ReplicaServer
    try:
        server = ReplicaServer(seed=args.seed, port=args.port).start()
    except OSError as exc:
        print(f"replica: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"replica web at {server.proxy_url}", flush=True)
    print(f"  http_proxy={server.proxy_url} curl http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/index.html")
    print(f"  hosts: {' '.join(server.hosts)}")
    print("Ctrl-C to stop.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    print(f"stopped after {len(server.log)} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
