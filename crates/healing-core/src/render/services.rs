//! The service endpoints: what auto-recovery reads and does, and the name lookup the prevention-agent's
//! metrics source needs.

use super::client::{decode, seg};
use super::{Deploy, RenderApiError, RenderClient, Service, ServiceEvent};
use reqwest::{Method, StatusCode};

impl RenderClient {
    /// All services of the key (every page).
    pub async fn list_services(&self, max_pages: u32) -> Result<Vec<Service>, RenderApiError> {
        self.list("services", "service", "GET /services", &[], max_pages)
            .await
    }

    /// The id of the service called `name` (Render's `name` filter matches substrings; the exact name wins).
    pub async fn service_id_by_name(&self, name: &str) -> Result<String, RenderApiError> {
        let query = [("name", name.to_string())];
        let found: Vec<Service> = self
            .list("services", "service", "GET /services", &query, 1)
            .await?;
        found
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id)
            .ok_or_else(|| RenderApiError::ServiceNotFound {
                name: name.to_string(),
            })
    }

    /// One service.
    pub async fn get_service(&self, id: &str) -> Result<Service, RenderApiError> {
        let path = format!("services/{}", seg(id)?);
        self.get_json(&path, &[], "GET /services/{id}").await
    }

    /// The newest deploys, newest first, up to `max_pages` pages.
    pub async fn list_deploys(
        &self,
        id: &str,
        max_pages: u32,
    ) -> Result<Vec<Deploy>, RenderApiError> {
        let path = format!("services/{}/deploys", seg(id)?);
        let endpoint = "GET /services/{id}/deploys";
        self.list(&path, "deploy", endpoint, &[], max_pages).await
    }

    /// Recent events (Render's default window is the last hour), newest first.
    pub async fn list_events(
        &self,
        id: &str,
        max_pages: u32,
    ) -> Result<Vec<ServiceEvent>, RenderApiError> {
        let path = format!("services/{}/events", seg(id)?);
        self.list(&path, "event", "GET /services/{id}/events", &[], max_pages)
            .await
    }

    /// `POST /services/{id}/restart` (200, no body).
    pub async fn restart(&self, id: &str) -> Result<(), RenderApiError> {
        let path = format!("services/{}/restart", seg(id)?);
        let endpoint = "POST /services/{id}/restart";
        self.request(Method::POST, &path, &[], None, endpoint)
            .await
            .map(|_| ())
    }

    /// Redeploys the last successful build (`deployMode = deploy_only`); 201 with a deploy or 202 queued.
    pub async fn redeploy_last_build(&self, id: &str) -> Result<Option<String>, RenderApiError> {
        let path = format!("services/{}/deploys", seg(id)?);
        let body = serde_json::json!({ "deployMode": "deploy_only" });
        let endpoint = "POST /services/{id}/deploys";
        let (status, bytes) = self
            .request(Method::POST, &path, &[], Some(body), endpoint)
            .await?;
        if status == StatusCode::ACCEPTED || bytes.is_empty() {
            return Ok(None);
        }
        let deploy: Deploy = decode(&bytes, endpoint)?;
        Ok(Some(deploy.id))
    }
}
