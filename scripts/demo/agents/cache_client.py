"""Talks to a local cache sidecar that is not running: ConnectionRefusedError on 127.0.0.1.

A refused connection on localhost means a sidecar is down; restarting this agent cannot fix it, so
the supervisor alerts and retries on its slow curve instead of installing or creating anything.
"""
import socket


def unused_local_port():
    """A port nothing listens on: bind an ephemeral one and let it go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = unused_local_port()
    print(f"cache_client: connecting to cache at 127.0.0.1:{port}")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
    except ConnectionRefusedError as e:
        # What cache clients such as redis-py raise: the address is in their message, not in the
        # socket error underneath.
        raise ConnectionError(f"Error 111 connecting to 127.0.0.1:{port}. Connection refused.") from e


if __name__ == "__main__":
    main()
