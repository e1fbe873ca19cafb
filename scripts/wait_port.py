"""Wait until something listens on localhost:PORT (default 60 s); exit 1 with a message otherwise."""
import socket
import sys
import time


def wait_port(port: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    port = int(sys.argv[1])
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    if not wait_port(port, timeout):
        print(f"端口 {port} 在 {timeout:.0f} 秒内没有启动，请查看 .rasa-actions.log", file=sys.stderr)
        sys.exit(1)
