//! Judging what a fetch got into the URL's record: the status against
//! `--ok-status`, the page read on the parse pool, then the CI checks
//! (`--expect`, `--expect-text`, `--max-latency`), which count only on an
//! otherwise good page.

use super::pool::ParsePool;
use crate::crawl::FOLLOW_FIELD;
use crate::fetch::Fetched;
use crate::record::{ErrorKind, Part, Record, RecordError, RenderInfo};
use crate::render::Renderer;
use crate::revalidate::Prior;
use crate::units::StatusSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use trawl_page::content::{looks_like_html, may_be_html};
use trawl_page::{self as page, Extracted, Plan};

/// What makes a record ok, and what to read from a page.
pub(super) struct Judge {
    pub(super) ok_status: StatusSet,
    pub(super) plan: Arc<Plan>,
    /// `--max-latency`: a page slower than this fails as `slow`.
    pub(super) max_latency: Option<Duration>,
    /// `--revalidate`: every record says `changed` and `not_modified`.
    pub(super) revalidating: bool,
    /// `--render`: ok HTML pages are rendered before they are read.
    pub(super) renderer: Option<Arc<Renderer>>,
    /// `--render` for the URLs no `[[site]]` rule says otherwise of.
    pub(super) render_all: bool,
    /// `--config`'s rules.
    pub(super) sites: Arc<crate::sites::Sites>,
    /// `--warc`: keep the rendered DOM for the archive.
    pub(super) keep_dom: bool,
}

impl Judge {
    /// The record of a URL whose last attempt got `f`; `start` is when its
    /// first attempt began; `prior` is its record in the `--revalidate`
    /// file.
    pub(super) async fn record(
        &self,
        line: String,
        f: Fetched,
        start: Instant,
        attempts: u32,
        parser: &ParsePool,
        prior: Option<&Prior>,
    ) -> Record {
        let not_modified = f.not_modified && prior.is_some();
        // A 304 answering our validators is ok whatever --ok-status says.
        let mut error = f
            .error
            .map(|(kind, message)| RecordError { kind, message })
            .or_else(|| {
                f.status
                    .filter(|_| !not_modified)
                    .and_then(|s| self.status_error(s))
            });
        let mut page = None;
        let mut rendered = None;
        let mut dom = None;
        let (mut body, mut page_type) = (f.body, f.content_type.clone());
        if let (Some(r), None, Some(b), Some(url)) = (&self.renderer, &error, &body, &f.final_url)
            && may_be_html(page_type.as_deref())
            && (page_type.is_some() || looks_like_html(b))
            && self.renders(url)
        {
            let mut url = url.clone();
            url.set_fragment(None);
            let status = f.status.unwrap_or(200);
            match r.render(&url, b, page_type.as_deref(), status).await {
                Ok(done) => {
                    rendered = Some(done.stats);
                    if self.keep_dom {
                        dom = Some(done.html.clone());
                    }
                    // The DOM is read as the browser holds it: UTF-8.
                    body = Some(done.html.into_bytes().into());
                    page_type = Some("text/html; charset=utf-8".into());
                }
                Err(failed) => {
                    rendered = Some(failed.stats);
                    error = Some(RecordError {
                        kind: if failed.timed_out {
                            ErrorKind::Timeout
                        } else {
                            ErrorKind::Render
                        },
                        message: failed.message,
                    });
                }
            }
        }
        if let (Some(body), Some(url)) = (body, f.final_url.clone()) {
            match self.read_page(body, page_type, url, parser).await {
                Ok(read) => page = Some(read),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        let mut record = Record {
            final_url: f.final_url.map(String::from),
            ok: error.is_none(),
            status: f.status,
            content_type: f.content_type,
            bytes: f.bytes,
            elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            // An attempt that sent nothing (robots.txt said no) is no attempt.
            attempts: attempts - u32::from(f.unsent && attempts > 0),
            redirects: f.redirects,
            proxy: f.proxy.as_deref().map(str::to_owned),
            etag: f.etag,
            last_modified: f.last_modified,
            content_hash: f.content_hash,
            render: Part::or_not_asked(rendered.map(|s| RenderInfo {
                ms: s.ms,
                requests: s.requests,
            })),
            error,
            dom,
            ..Record::empty(line)
        };
        if self.revalidating {
            record.not_modified = Some(not_modified);
            record.changed = Part::or_null(match prior {
                Some(p) if not_modified => {
                    self.carry_forward(&mut record, p);
                    Some(false)
                }
                Some(p) => p
                    .hash()
                    .zip(record.content_hash.as_deref())
                    .map(|(was, now)| was != now),
                None => None,
            });
        }
        let mut unmet = None;
        if let Some(read) = page {
            unmet = read.unmet;
            if let Some(x) = read.found {
                unmet = unmet.or(x.unmet);
                record.title = x.title;
                record.fields = Part::or_not_asked(x.fields);
                record.links = Part::or_not_asked(x.links);
                if let Some(m) = x.meta {
                    record.meta = Part::Value(m.meta);
                    record.json_ld = Part::Value(m.json_ld);
                    record.json_ld_invalid = Part::Value(m.json_ld_invalid);
                }
                record.content = Part::or_not_asked(x.content);
            }
        }
        // Checks count only on an otherwise good page: a 404 is a 404.
        if record.error.is_none() {
            record.error = unmet
                .map(|message| RecordError {
                    kind: ErrorKind::Expectation,
                    message,
                })
                .or_else(|| self.latency_error(record.elapsed_ms));
            record.ok = record.error.is_none();
        }
        // A failed record has no content, even when its body had some (an
        // error page's, a page that missed an --expect).
        if !record.ok && record.content.value().is_some() {
            record.content = Part::Null;
        }
        self.take_follow(&mut record);
        self.blank_asked(&mut record);
        record
    }

    /// Tells whether a page of `url` is rendered: `--render`, unless a
    /// rule for it says otherwise.
    fn renders(&self, url: &url::Url) -> bool {
        if self.sites.is_empty() {
            return self.render_all;
        }
        self.sites.for_url(url).render.unwrap_or(self.render_all)
    }

    /// Moves the hidden fields of `--follow` out of `fields` into
    /// `follow`; `fields` goes when no `-s` asked for it.
    fn take_follow(&self, rec: &mut Record) {
        let Part::Value(fields) = &mut rec.fields else {
            return;
        };
        if !fields.0.iter().any(|(name, _)| name == FOLLOW_FIELD) {
            return;
        }
        let mut follow = Vec::new();
        for (name, field) in std::mem::take(&mut fields.0) {
            match field {
                trawl_page::select::Field::Many(links) if name == FOLLOW_FIELD => {
                    for link in links {
                        if !follow.contains(&link) {
                            follow.push(link);
                        }
                    }
                }
                field => fields.0.push((name, field)),
            }
        }
        rec.follow = Part::Value(follow);
        if !self.asks_fields() {
            rec.fields = Part::NotAsked;
        }
    }

    /// Tells whether `-s` asked for fields (`--follow`'s are hidden).
    fn asks_fields(&self) -> bool {
        self.plan.selections.iter().any(|s| s.name != FOLLOW_FIELD)
    }

    /// Fills a 304's record with what the earlier record read from the
    /// same body: its parts as this run asks for them, its hash, and its
    /// validators and Content-Type unless the 304 sent new ones.
    fn carry_forward(&self, rec: &mut Record, p: &Prior) {
        rec.title.clone_from(&p.title);
        rec.fields = p.fields_for(&self.plan);
        if self.plan.links {
            rec.links = p.links.clone();
        }
        if self.plan.meta {
            rec.meta = p.meta.clone();
            rec.json_ld = p.json_ld.clone();
            rec.json_ld_invalid = p.json_ld_invalid;
        }
        if self.plan.content.is_some() {
            rec.content = p.content.clone();
        }
        rec.content_hash.clone_from(&p.content_hash);
        if rec.etag.is_none() {
            rec.etag.clone_from(&p.etag);
        }
        if rec.last_modified.is_none() {
            rec.last_modified.clone_from(&p.last_modified);
        }
        if rec.content_type.is_none() {
            rec.content_type.clone_from(&p.content_type);
        }
    }

    /// The `http_status` error of a status outside `--ok-status`.
    fn status_error(&self, status: u16) -> Option<RecordError> {
        if self.ok_status.contains(status) {
            return None;
        }
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        Some(RecordError {
            kind: ErrorKind::HttpStatus,
            message: format!("status {status} {reason}").trim_end().to_owned(),
        })
    }

    /// The `slow` error of a page over `--max-latency`.
    fn latency_error(&self, elapsed_ms: u64) -> Option<RecordError> {
        let max = self.max_latency?;
        (elapsed_ms > u64::try_from(max.as_millis()).unwrap_or(u64::MAX)).then(|| RecordError {
            kind: ErrorKind::Slow,
            message: format!(
                "took {elapsed_ms} ms, over --max-latency {}",
                humantime::format_duration(max)
            ),
        })
    }

    /// Reads the body on the parse pool: what the page holds, and for a
    /// body that is not HTML, the expectations it cannot meet.
    async fn read_page(
        &self,
        body: bytes::Bytes,
        content_type: Option<String>,
        url: url::Url,
        parser: &ParsePool,
    ) -> Result<PageRead, RecordError> {
        let plan = self.plan.clone();
        let parsed = parser
            .run(move || {
                let found = page::extract(&body, content_type.as_deref(), &url, &plan)?;
                let unmet = match &found {
                    None if plan.has_expectations() => {
                        page::unmet_without_html(&body, content_type.as_deref(), &plan)
                    }
                    _ => None,
                };
                Ok(PageRead { found, unmet })
            })
            .await;
        match parsed {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(page::ParseTimeout)) => {
                let limit = self
                    .plan
                    .parse_timeout
                    .map(|t| humantime::format_duration(t).to_string())
                    .unwrap_or_default();
                Err(RecordError {
                    kind: ErrorKind::Decode,
                    message: format!(
                        "parsing the page took longer than --timeout ({limit}); \
                         it is too large or too deeply nested"
                    ),
                })
            }
            // A parser bug on one hostile page must not cost the run: the
            // page gets a record that says so.
            Err(_) => Err(RecordError {
                kind: ErrorKind::Decode,
                message: "the page could not be parsed (parser failure)".into(),
            }),
        }
    }

    /// Gives a record that has no page to read (not HTML, or nothing
    /// fetched) a `null` for each part that was asked for, so every record
    /// of a run has the same keys.
    pub(super) fn blank_asked(&self, rec: &mut Record) {
        let plan = &self.plan;
        if self.renderer.is_some() {
            rec.render.ask();
        }
        if self.asks_fields() {
            rec.fields.ask();
        }
        if self.plan.selections.iter().any(|s| s.name == FOLLOW_FIELD) {
            rec.follow.ask();
        }
        if plan.links {
            rec.links.ask();
        }
        if plan.meta {
            rec.meta.ask();
            rec.json_ld.ask();
            rec.json_ld_invalid.ask();
        }
        if plan.content.is_some() {
            rec.content.ask();
        }
        if self.revalidating {
            rec.changed.ask();
            rec.not_modified.get_or_insert(false);
        }
    }
}

/// What reading a body found.
struct PageRead {
    /// The page's parts; `None` when the body is not HTML.
    found: Option<Extracted>,
    /// The first expectation a body that is not HTML cannot meet.
    unmet: Option<String>,
}
