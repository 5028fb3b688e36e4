//! Hostile input: arbitrary bytes never panic, memory stays bounded, and the streaming and bulk paths
//! agree.

mod common;

use common::{bulk, stream};
use healing_core::catalogue::Catalogue;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn catalogue() -> Arc<Catalogue> {
    static CAT: OnceLock<Arc<Catalogue>> = OnceLock::new();
    Arc::clone(CAT.get_or_init(|| Arc::new(Catalogue::builtin())))
}

/// Fragments that steer random input into tracebacks, chains and matches.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just(b"Traceback (most recent call last):\n".to_vec()),
        Just(b"  File \"a.py\", line 1, in f\n".to_vec()),
        Just(b"ConnectionRefusedError: [Errno 111] Connection refused\n".to_vec()),
        Just(b"\nDuring handling of the above exception, another exception occurred:\n\n".to_vec()),
        Just(b"requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=1)\n".to_vec()),
        Just(b"ModuleNotFoundError: No module named 'yaml'\r\n".to_vec()),
        Just(b"{\"event\":\"x\",\"exception\":\"Traceback (most recent call last):\\nMemoryError\"}\n".to_vec()),
        Just(b"\x1b[31mKeyError: 'A'\x1b[0m\n".to_vec()),
        Just(b"MemoryError\n".to_vec()),
        Just(b"\n".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic_and_both_paths_agree(
        parts in proptest::collection::vec(fragment(), 0..40),
        chunk in 1usize..64,
        max_line in 8usize..200,
    ) {
        let bytes: Vec<u8> = parts.concat();
        let cat = catalogue();
        let streamed = stream(&bytes, chunk, max_line, &cat);
        let scanned = bulk(&bytes, max_line, &cat);
        prop_assert_eq!(streamed, scanned);
    }

    #[test]
    fn random_bytes_alone_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let cat = catalogue();
        let _ = stream(&bytes, 31, 64, &cat);
    }
}
