//! The list operations: pagers over `nextLink`, followed only on the client's own vault.

use super::*;

impl SecretClient {
    /// The properties of every secret (no values), as a stream of items or pages.
    pub fn list_properties_of_secrets(&self, options: Option<ListOptions>) -> Pager<SecretProperties> {
        self.pager(&operations::GET_SECRETS, &[], options, "list_properties_of_secrets", |body: SecretListResult| {
            (body.value.into_iter().map(SecretProperties::from_item).collect(), body.next_link)
        })
    }

    /// The properties of every version of a secret.
    pub fn list_properties_of_secret_versions(
        &self,
        name: &str,
        options: Option<ListOptions>,
    ) -> Pager<SecretProperties> {
        if let Err(e) = validate_name_version(name, None) {
            return Pager::from_pages(futures::stream::once(async move { Err(e) }));
        }
        self.pager(
            &operations::GET_SECRET_VERSIONS,
            &[("secret-name", name)],
            options,
            "list_properties_of_secret_versions",
            |body: SecretListResult| {
                (body.value.into_iter().map(SecretProperties::from_item).collect(), body.next_link)
            },
        )
    }

    /// Every deleted secret.
    pub fn list_deleted_secrets(&self, options: Option<ListOptions>) -> Pager<DeletedSecret> {
        self.pager(
            &operations::GET_DELETED_SECRETS,
            &[],
            options,
            "list_deleted_secrets",
            |body: DeletedSecretListResult| {
                (body.value.into_iter().map(DeletedSecret::from_item).collect(), body.next_link)
            },
        )
    }

    fn pager<B, T>(
        &self,
        op: &Operation,
        params: &[(&str, &str)],
        options: Option<ListOptions>,
        operation: &'static str,
        split: fn(B) -> (Vec<T>, Option<String>),
    ) -> Pager<T>
    where
        B: serde::de::DeserializeOwned + Send + 'static,
        T: Send + 'static,
    {
        let options = options.unwrap_or_default();
        let first = match (&options.continuation_token, options.max_page_size) {
            (Some(token), _) => self.next_link_url(token),
            (None, Some(size)) if !(1..=MAX_PAGE_SIZE).contains(&size) => {
                Err(Error::InvalidArgument(format!("max_page_size must be 1 to {MAX_PAGE_SIZE}, got {size}")))
            }
            (None, size) => {
                let size = size.map(|s| s.to_string());
                let query: Vec<(&str, &str)> = size.as_deref().map(|s| ("maxresults", s)).into_iter().collect();
                self.url(op, params, &query)
            }
        };
        let client = self.clone();
        Pager::from_pages(page_stream(client, first, operation, split))
    }

    /// A `nextLink` checked to point at this vault, with this client's api-version.
    fn next_link_url(&self, link: &str) -> Result<Url> {
        let mut url = Url::parse(link).map_err(|e| Error::InvalidArgument(format!("continuation token: {e}")))?;
        let vault = &self.inner.vault_url;
        if url.scheme() != vault.scheme()
            || url.host_str() != vault.host_str()
            || url.port_or_known_default() != vault.port_or_known_default()
        {
            return Err(Error::InvalidArgument(format!(
                "continuation token points at {}, not at this vault ({})",
                url.host_str().unwrap_or_default(),
                vault.host_str().unwrap_or_default()
            )));
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != operations::API_VERSION_PARAM)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(operations::API_VERSION_PARAM, &self.inner.api_version);
        Ok(url)
    }

    pub(crate) async fn status_deleted(&self, name: &str) -> Result<()> {
        let request = self.request(&operations::GET_DELETED_SECRET, &[("secret-name", name)], &[])?;
        self.call("poll_delete", request).await.map(drop)
    }

    pub(crate) async fn status_secret(&self, name: &str) -> Result<()> {
        let request =
            self.request(&operations::GET_SECRET, &[("secret-name", name), ("secret-version", LATEST)], &[])?;
        self.call("poll_recover", request).await.map(drop)
    }
}

fn page_stream<B, T>(
    client: SecretClient,
    first: Result<Url>,
    operation: &'static str,
    split: fn(B) -> (Vec<T>, Option<String>),
) -> impl Stream<Item = Result<Page<T>>> + Send
where
    B: serde::de::DeserializeOwned + Send + 'static,
    T: Send + 'static,
{
    futures::stream::try_unfold(Some(first), move |next| {
        let client = client.clone();
        async move {
            let Some(url) = next else { return Ok(None) };
            let mut request = Request::new(Method::GET, url?);
            request.headers.insert("accept", "application/json");
            let body: B = client.call_json(operation, request).await?;
            let (items, link) = split(body);
            let link = link.filter(|l| !l.is_empty());
            let next = link.as_deref().map(|l| client.next_link_url(l));
            Ok(Some((Page { items, continuation_token: link }, next)))
        }
    })
}
