//! The one-writer lease in the Key Value store: the network twin of the state directory's `flock`.
//!
//! `SET <lease> <value> NX PX <ttl>` takes it; a compare-and-extend script renews it (only while the value
//! is ours); a compare-and-delete script releases it. The value names the holder (`<instance> pid <pid>`)
//! for the refusal message, plus a random token so two processes with the same pid on different
//! machines can never mistake each other's lease for their own. A holder that dies stops renewing and is
//! replaced after at most one TTL. Every document write checks the lease in the same script as its `SET`,
//! so a process that lost its lease (paused past its TTL) cannot overwrite its successor's documents.

use redis::aio::MultiplexedConnection;
use redis::{RedisError, Script};
use std::time::Duration;

/// Extends the lease if it is ours, re-takes it if it vanished (the store restarted empty); 0 if taken.
const RENEW: &str = r"
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0";

/// Writes a document only while the lease is ours (re-taking a vanished one); 0 if another holds it.
const FENCED_SET: &str = r"
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('SET', KEYS[2], ARGV[3]) return 1 end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3])
  return 1
end
return 0";

/// Deletes the lease only if it is still ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// One binary's lease on one instance.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    /// The binary (`self-healing-agent`, ...).
    pub owner: String,
    /// `healing:<ns>:~lease:<instance>:<owner>`.
    pub key: String,
    /// `<instance> pid <pid> token <random>`.
    value: String,
    /// Lifetime in milliseconds.
    ttl_ms: u64,
}

impl Lease {
    pub fn new(owner: &str, key: String, instance: &str, ttl: Duration) -> Self {
        Self {
            owner: owner.to_string(),
            key,
            value: format!(
                "{instance} pid {} token {:016x}",
                std::process::id(),
                fastrand::u64(..)
            ),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
        }
    }

    /// Takes the lease; `Ok(Some(holder))` when another process has it.
    pub async fn acquire(
        &self,
        conn: &mut MultiplexedConnection,
    ) -> Result<Option<String>, RedisError> {
        let taken: Option<String> = redis::cmd("SET")
            .arg(&self.key)
            .arg(&self.value)
            .arg("NX")
            .arg("PX")
            .arg(self.ttl_ms)
            .query_async(conn)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let holder: Option<String> = redis::cmd("GET").arg(&self.key).query_async(conn).await?;
        Ok(Some(holder.map_or_else(
            || "a process that just released it".to_string(),
            |v| describe_holder(&v),
        )))
    }

    /// Extends the lease; `false` when another process holds it now.
    pub async fn renew(&self, conn: &mut MultiplexedConnection) -> Result<bool, RedisError> {
        let kept: i64 = Script::new(RENEW)
            .key(&self.key)
            .arg(&self.value)
            .arg(self.ttl_ms)
            .invoke_async(conn)
            .await?;
        Ok(kept == 1)
    }

    /// Replaces `doc_key` with `bytes` in one `SET`, only while the lease is ours.
    pub async fn write(
        &self,
        conn: &mut MultiplexedConnection,
        doc_key: &str,
        bytes: &[u8],
    ) -> Result<bool, RedisError> {
        let done: i64 = Script::new(FENCED_SET)
            .key(&self.key)
            .key(doc_key)
            .arg(&self.value)
            .arg(self.ttl_ms)
            .arg(bytes)
            .invoke_async(conn)
            .await?;
        Ok(done == 1)
    }

    /// Gives the lease up so a successor starts at once instead of after a TTL.
    pub async fn release(&self, conn: &mut MultiplexedConnection) -> Result<(), RedisError> {
        let _: i64 = Script::new(RELEASE)
            .key(&self.key)
            .arg(&self.value)
            .invoke_async(conn)
            .await?;
        Ok(())
    }
}

/// `<instance> pid <pid>` without the token (which is nobody's business), bounded in length.
fn describe_holder(value: &str) -> String {
    let shown = value.split(" token ").next().unwrap_or(value);
    shown.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_description_hides_the_token_and_stays_short() {
        assert_eq!(
            describe_holder("srv-1 pid 42 token 00ff00ff00ff00ff"),
            "srv-1 pid 42"
        );
        assert_eq!(describe_holder(&"x".repeat(1000)).len(), 120);
    }

    #[test]
    fn two_leases_of_one_process_carry_different_tokens() {
        let a = Lease::new("o", "k".into(), "i", Duration::from_secs(1));
        let b = Lease::new("o", "k".into(), "i", Duration::from_secs(1));
        assert_ne!(a.value, b.value);
        assert!(
            a.value
                .starts_with(&format!("i pid {}", std::process::id()))
        );
    }
}
