//! The `fetch` prompt, like mcp-server-fetch's: the user names a page and gets its content as a
//! prompt message. It acts on the user's behalf, so it sends the `User-Specified` user agent and
//! does not consult robots.txt; the SSRF guard, limits and logging still apply. A failure is
//! returned as the prompt's text (the user reads it), not as a protocol error.

use rmcp::{
    handler::server::wrapper::Parameters,
    model::{GetPromptResult, PromptMessage, Role},
    prompt, prompt_router, schemars,
};
use serde::Deserialize;

use crate::{net::client::Agent, server::NetworkServer, tools::fetch::parse_url};

/// Most characters the prompt returns; longer pages end with a note.
pub const PROMPT_MAX_CHARS: usize = 100_000;

/// Arguments of the `fetch` prompt.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FetchPromptArgs {
    /// URL to fetch.
    pub url: String,
}

// The macro adds an undocumented `*_prompt_attr` function per prompt.
#[allow(missing_docs)]
#[prompt_router(vis = "pub(crate)")]
impl NetworkServer {
    /// Fetch a URL and extract its contents as markdown.
    #[prompt(name = "fetch")]
    async fn fetch_prompt(
        &self,
        Parameters(FetchPromptArgs { url }): Parameters<FetchPromptArgs>,
    ) -> GetPromptResult {
        let text = match parse_url("url", &url) {
            Ok(parsed) => match self.load_page(&parsed, false, Agent::User, None).await {
                Ok(page) => match page.content.char_indices().nth(PROMPT_MAX_CHARS) {
                    None => format!("{}{}", page.header, page.content),
                    Some((cut, _)) => format!(
                        "{}{}\n\n[The page continues beyond {PROMPT_MAX_CHARS} characters; the fetch tool reads on with start_index {PROMPT_MAX_CHARS}.]",
                        page.header,
                        &page.content[..cut]
                    ),
                },
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(format!("Contents of {url}"))
    }
}
