"""Talks to a local cache sidecar that is not running: ConnectionRefusedError on 127.0.0.1.

A refused connection on localhost means a sidecar is down; restarting this agent cannot fix it, so
the supervisor alerts and retries on its slow curve instead of installing or creating anything.
"""
import socket


# A port nothing listens on in the demo (the "cache sidecar" is never started). Fixed, so that every
# crash names the same endpoint and the supervisor's alert de-duplication sees one incident.
CACHE_PORT = 6399


def main():
    port = CACHE_PORT
    print(f"cache_client: connecting to cache at 127.0.0.1:{port}")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
    except ConnectionRefusedError as e:
        # Worded like the usual cache clients (redis-py): the address is part of the error.
        raise ConnectionError(f"Error 111 connecting to 127.0.0.1:{port}. Connection refused.") from e


if __name__ == "__main__":
    main()
