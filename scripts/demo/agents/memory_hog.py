"""Loads a "model" that does not fit: a real MemoryError, within a small cap.

The agent limits its own address space (RLIMIT_AS) to what it uses now plus 64 MiB, then allocates
10 MiB blocks until Python raises MemoryError. The machine never comes near exhaustion.
"""
import resource
import sys

CAP = 64 * 1024 * 1024
BLOCK = 10 * 1024 * 1024


def current_address_space():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def main():
    print("memory_hog: loading embeddings")
    try:
        resource.setrlimit(resource.RLIMIT_AS, (current_address_space() + CAP, resource.RLIM_INFINITY))
    except (OSError, ValueError) as e:
        print(f"memory_hog: cannot cap memory ({e}); failing without allocating", file=sys.stderr)
        raise MemoryError("embedding table does not fit") from e
    blocks = []
    for _ in range(2 * CAP // BLOCK):
        blocks.append(bytearray(BLOCK))
    raise MemoryError("embedding table does not fit")  # only if the cap did not bite


if __name__ == "__main__":
    main()
