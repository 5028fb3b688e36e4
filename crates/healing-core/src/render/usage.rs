//! The metrics endpoints (`GET /metrics/{memory,memory-limit,cpu,cpu-limit}?resource=`): a service's usage
//! against its limits, as the prevention-agent reads the agents' container from a service of its own.
//!
//! Responses are lists of time series, `[{labels: [{field, value}], values: [{timestamp, value}], unit}]`,
//! one per instance; the reading is the latest point of the busiest instance, against its limit.

use super::client::seg;
use super::{RenderApiError, RenderClient};
use serde::Deserialize;

/// Points per series asked for: one a minute over the API's default last hour.
const RESOLUTION_SECS: &str = "60";

/// One resource against its limit: memory in bytes, CPU in cores.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Bytes or cores in use.
    pub used: f64,
    /// The limit, same unit.
    pub limit: f64,
    /// `used / limit`, percent.
    pub percent: f64,
}

/// One reading of a service. A resource is `None` when the API had no data or no limit for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSample {
    /// The `srv-…` id measured.
    pub service_id: String,
    /// Memory against its limit.
    pub memory: Option<Usage>,
    /// CPU against its limit.
    pub cpu: Option<Usage>,
}

impl RenderClient {
    /// Usage and limits of service `id`, four requests in parallel.
    pub async fn sample_metrics(&self, id: &str) -> Result<RenderSample, RenderApiError> {
        let id = seg(id)?;
        let (memory, memory_limit, cpu, cpu_limit) = tokio::try_join!(
            self.latest(id, "memory"),
            self.latest(id, "memory-limit"),
            self.latest(id, "cpu"),
            self.latest(id, "cpu-limit"),
        )?;
        Ok(RenderSample {
            service_id: id.to_string(),
            memory: usage(memory, memory_limit),
            cpu: usage(cpu, cpu_limit),
        })
    }

    /// The latest value of the busiest series, in base units (bytes, cores); `None` without data.
    async fn latest(&self, id: &str, metric: &str) -> Result<Option<f64>, RenderApiError> {
        let query = [
            ("resource", id.to_string()),
            ("resolutionSeconds", RESOLUTION_SECS.to_string()),
        ];
        let endpoint = format!("GET /metrics/{metric}");
        let series: Vec<Series> = self
            .get_json(&format!("metrics/{metric}"), &query, &endpoint)
            .await?;
        Ok(series
            .iter()
            .filter_map(Series::latest_in_base_units)
            .reduce(f64::max))
    }
}

fn usage(used: Option<f64>, limit: Option<f64>) -> Option<Usage> {
    let (used, limit) = (used?, limit?);
    (limit > 0.0 && used >= 0.0).then(|| Usage {
        used,
        limit,
        percent: used / limit * 100.0,
    })
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    values: Vec<Point>,
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Deserialize)]
struct Point {
    #[serde(default)]
    timestamp: serde_json::Value,
    value: Option<f64>,
}

impl Series {
    /// The value of the newest point (by timestamp when they parse, else the last one listed).
    fn latest_in_base_units(&self) -> Option<f64> {
        let points = self
            .values
            .iter()
            .filter_map(|p| p.value.filter(|v| v.is_finite()).map(|v| (p, v)));
        let newest = points.enumerate().max_by(|(ia, (a, _)), (ib, (b, _))| {
            let (ta, tb) = (seconds(&a.timestamp), seconds(&b.timestamp));
            ta.partial_cmp(&tb)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(ia.cmp(ib))
        });
        newest.map(|(_, (_, v))| v * scale(self.unit.as_deref()))
    }
}

/// A point's time as Unix seconds: RFC 3339 text, or epoch seconds as a number or text.
fn seconds(ts: &serde_json::Value) -> f64 {
    match ts {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().unwrap_or_else(|| {
            humantime::parse_rfc3339_weak(s.trim())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0.0, |d| d.as_secs_f64())
        }),
        _ => 0.0,
    }
}

/// Factor from a series' unit to bytes (memory) or cores (CPU); unknown units count as base units.
fn scale(unit: Option<&str>) -> f64 {
    match unit.map(|u| u.trim().to_ascii_lowercase()).as_deref() {
        Some("kb") => 1e3,
        Some("kib") => 1024.0,
        Some("mb") => 1e6,
        Some("mib") => 1024.0 * 1024.0,
        Some("gb") => 1e9,
        Some("gib") => 1024.0 * 1024.0 * 1024.0,
        Some("millicores" | "millicpu" | "mcpu") => 1e-3,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_newest_point_wins_whatever_the_timestamp_format() {
        let s: Series = serde_json::from_value(json!({"unit": "MB", "values": [
            {"timestamp": "2026-01-01T00:02:00Z", "value": 300.0},
            {"timestamp": "2026-01-01T00:01:00Z", "value": 100.0}]}))
        .unwrap();
        assert_eq!(s.latest_in_base_units(), Some(300e6));
        let s: Series = serde_json::from_value(json!({"values": [
            {"timestamp": "1700000060", "value": 0.5}, {"timestamp": 1700000000, "value": 0.9}]}))
        .unwrap();
        assert_eq!(s.latest_in_base_units(), Some(0.5));
    }

    #[test]
    fn a_missing_or_zero_limit_gives_no_percentage() {
        assert_eq!(usage(Some(1.0), None), None);
        assert_eq!(usage(Some(1.0), Some(0.0)), None);
        assert_eq!(usage(Some(1.0), Some(4.0)).map(|u| u.percent), Some(25.0));
    }
}
