//! `--render`: pages rendered in headless Chromium, driven over the
//! DevTools protocol through the browser's debugging pipe.
//!
//! * [`cdp`]: the protocol client over the pipe.
//! * [`browser`]: finding, launching and stopping the browser.
//!
//! One browser serves the run. It is launched when the first page is to
//! be rendered, and launched again when it has died. At most `--tabs`
//! pages render at once; each takes a tab (reused; closed after
//! [`RECYCLE`] pages, or at once after a failure), and the browser gets
//! the body trawl already fetched for the page's URL: the document request
//! is answered from it (the `Fetch` domain), and every other request (the
//! page's scripts, styles, XHRs) goes to the network. At the wait point
//! the tab's `document.documentElement.outerHTML` is the rendered page.
//!
//! Every step of a render, from opening a tab to reading the DOM, is
//! under one deadline (`--timeout`): a page that loops for ever, a wait
//! selector that never matches and a request that never answers all end
//! there, and the tab is closed. A crashed tab or browser ends the render
//! at once.

mod browser;
mod cdp;

use browser::Browser;
use cdp::CdpError;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, oneshot};
use url::Url;

pub use browser::find as find_browser;

/// Pages a tab renders before it is closed and a fresh one opened, which
/// keeps the browser's memory flat over a long run.
const RECYCLE: u32 = 50;

/// How long a new tab may take to answer its set-up. A tab that does not
/// is closed and another opened: Chromium can give a new tab a renderer
/// process that has just died (seen after a crash), and then never
/// answers for it.
const SETUP: Duration = Duration::from_secs(5);

/// How long a browser may take to answer a trivial command, after a render
/// timed out, before it counts as hung as a whole and is replaced.
const ALIVE: Duration = Duration::from_secs(5);

/// New tabs tried for one page before it fails.
const OPEN_TRIES: u32 = 3;

/// How often a `--render-wait CSS` selector is tried.
const POLL: Duration = Duration::from_millis(50);

/// `--render-wait`: the point at which the DOM is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderWait {
    /// The load event.
    Load,
    /// The network idle for 500 ms.
    Idle,
    /// A CSS selector matches (checked from `DOMContentLoaded` on).
    Selector(String),
}

impl RenderWait {
    /// `load`, `idle`, or a CSS selector.
    ///
    /// # Errors
    /// Not a selector either; said for a human.
    pub fn parse(s: &str) -> Result<RenderWait, String> {
        match s.trim() {
            "load" => Ok(RenderWait::Load),
            "idle" => Ok(RenderWait::Idle),
            "" => Err("expected load, idle or a CSS selector".into()),
            css => css
                .parse::<trawl_page::select::Expect>()
                .map(|_| RenderWait::Selector(css.to_owned()))
                .map_err(|e| format!("not load, idle or a valid CSS selector: {e}")),
        }
    }
}

/// What rendering needs, fixed before the run.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The browser's executable.
    pub browser: PathBuf,
    pub wait: RenderWait,
    /// Pages rendering at once.
    pub tabs: usize,
    /// The deadline of one render.
    pub timeout: Duration,
    /// Sent by the browser for the page's own requests.
    pub user_agent: String,
}

/// A rendered page.
#[derive(Debug)]
pub struct Rendered {
    /// The DOM at the wait point, serialised.
    pub html: String,
    pub stats: RenderStats,
}

/// What a render took, for the record.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderStats {
    /// From the tab being taken to the DOM read or the failure.
    pub ms: u64,
    /// Requests the browser made for the page besides the document.
    pub requests: u32,
}

/// Why a render gave no DOM.
#[derive(Debug)]
pub struct RenderFailure {
    /// The render outlived its deadline (else: the browser failed).
    pub timed_out: bool,
    pub message: String,
    pub stats: RenderStats,
}

/// Starts of the browser that may fail in a row before the run stops
/// trying (each may take up to 30 s).
const START_TRIES: u32 = 3;

/// The browser, once started.
#[derive(Default)]
struct Slot {
    running: Option<Arc<Browser>>,
    /// Failed starts since the last good one, and why the last failed.
    failed_starts: u32,
    last_error: String,
}

/// The run's browser and its tabs.
pub struct Renderer {
    opts: RenderOptions,
    /// A permit per tab that may render.
    tabs: Semaphore,
    browser: tokio::sync::Mutex<Slot>,
    /// Tabs ready for another page.
    idle: Mutex<Vec<Tab>>,
    /// A render timed out since the browser last answered.
    suspect: AtomicBool,
}

/// An open tab, attached with its own session.
struct Tab {
    browser: Arc<Browser>,
    target: String,
    session: String,
    events: mpsc::UnboundedReceiver<Value>,
    uses: u32,
}

impl Tab {
    /// Closes the tab, without waiting for the browser to do it.
    fn close(self) {
        self.browser.conn.unsubscribe(&self.session);
        self.browser
            .conn
            .notify(None, "Target.closeTarget", json!({"targetId": self.target}));
    }
}

/// How a render step failed, before it is said for the record.
enum Failure {
    Cdp(CdpError),
    Crashed,
    /// A new tab did not answer its set-up within [`SETUP`].
    Unresponsive,
    Page(String),
}

impl From<CdpError> for Failure {
    fn from(e: CdpError) -> Failure {
        Failure::Cdp(e)
    }
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Cdp(CdpError::Gone) => "the browser exited during the render".into(),
            Failure::Cdp(CdpError::Failed(m)) => format!("the browser failed: {m}"),
            Failure::Crashed => "the browser's tab crashed during the render".into(),
            Failure::Unresponsive => format!(
                "{OPEN_TRIES} new tabs in a row did not answer within {} s",
                SETUP.as_secs()
            ),
            Failure::Page(m) => m.clone(),
        }
    }
}

/// The render in progress: the tab it holds, and what it has counted.
struct Work {
    tab: Option<Tab>,
    requests: u32,
}

impl Renderer {
    /// A renderer; the browser starts with the first render.
    pub fn new(opts: RenderOptions) -> Renderer {
        Renderer {
            tabs: Semaphore::new(opts.tabs.max(1)),
            opts,
            browser: tokio::sync::Mutex::new(Slot::default()),
            idle: Mutex::new(Vec::new()),
            suspect: AtomicBool::new(false),
        }
    }

    /// Renders the page `url`, whose document is `body` (as fetched, with
    /// its `content_type` and `status`), and returns its DOM at the wait
    /// point.
    ///
    /// # Errors
    /// The deadline passed, or the browser or its tab failed.
    pub async fn render(
        &self,
        url: &Url,
        body: &[u8],
        content_type: Option<&str>,
        status: u16,
    ) -> Result<Rendered, RenderFailure> {
        let fail = |timed_out, message, stats| RenderFailure {
            timed_out,
            message,
            stats,
        };
        let Ok(_permit) = self.tabs.acquire().await else {
            return Err(fail(
                false,
                "the renderer stopped".into(),
                RenderStats::default(),
            ));
        };
        let browser = self.browser().await.map_err(|m| {
            fail(
                false,
                format!("cannot start the browser: {m}"),
                RenderStats::default(),
            )
        })?;
        let started = Instant::now();
        let mut work = Work {
            tab: self.idle_tab(&browser),
            requests: 0,
        };
        let doc = Document {
            url,
            body,
            content_type,
            status,
        };
        let done =
            tokio::time::timeout(self.opts.timeout, self.render_in(&browser, &mut work, &doc))
                .await;
        let stats = RenderStats {
            ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            requests: work.requests,
        };
        match done {
            Ok(Ok(html)) => {
                if let Some(tab) = work.tab {
                    self.put_back(tab);
                }
                Ok(Rendered { html, stats })
            }
            Ok(Err(e)) => {
                if let Some(tab) = work.tab {
                    tab.close();
                }
                Err(fail(false, e.message(), stats))
            }
            Err(_) => {
                if let Some(tab) = work.tab {
                    tab.close();
                }
                // The page, or the whole browser, may be hung: the next
                // page checks which.
                self.suspect.store(true, Ordering::SeqCst);
                Err(fail(
                    true,
                    format!(
                        "rendering outlived --timeout ({})",
                        humantime::format_duration(self.opts.timeout)
                    ),
                    stats,
                ))
            }
        }
    }

    /// The running browser, launched (again) if there is none.
    async fn browser(&self) -> Result<Arc<Browser>, String> {
        let mut slot = self.browser.lock().await;
        if let Some(b) = slot.running.as_ref()
            && !b.conn.is_gone()
        {
            if !self.suspect.swap(false, Ordering::SeqCst) {
                return Ok(b.clone());
            }
            let ping = b.conn.call(None, "Browser.getVersion", json!({}));
            if let Ok(Ok(_)) = tokio::time::timeout(ALIVE, ping).await {
                return Ok(b.clone());
            }
            tracing::warn!(
                "the browser has not answered for {} s; starting a new one",
                ALIVE.as_secs()
            );
            b.kill();
        } else if slot.running.is_some() {
            tracing::warn!("the browser exited; starting it again");
        }
        if let Some(dead) = slot.running.take() {
            dead.close().await;
        }
        if slot.failed_starts >= START_TRIES {
            return Err(format!(
                "{} (it failed to start {START_TRIES} times in a row; not trying again)",
                slot.last_error
            ));
        }
        match Browser::launch(&self.opts.browser).await {
            Ok(b) => {
                let b = Arc::new(b);
                *slot = Slot {
                    running: Some(b.clone()),
                    ..Slot::default()
                };
                Ok(b)
            }
            Err(e) => {
                slot.failed_starts += 1;
                slot.last_error.clone_from(&e);
                Err(e)
            }
        }
    }

    /// An idle tab of `browser`, if any; tabs of a browser that is gone
    /// are dropped.
    fn idle_tab(&self, browser: &Arc<Browser>) -> Option<Tab> {
        let mut idle = self.idle.lock().ok()?;
        idle.retain(|t| Arc::ptr_eq(&t.browser, browser));
        let mut tab = idle.pop()?;
        tab.events = browser.conn.subscribe(&tab.session);
        Some(tab)
    }

    /// Puts `tab` back in the idle set, or closes it once it has served
    /// [`RECYCLE`] pages. An idle tab keeps its last page (the next one
    /// replaces it: cheaper than a trip through `about:blank`, which costs
    /// a renderer process each way) but not its events: what the page
    /// does meanwhile is dropped, and its requests stay paused.
    fn put_back(&self, mut tab: Tab) {
        tab.uses += 1;
        if tab.uses >= RECYCLE {
            tab.close();
            return;
        }
        tab.browser.conn.unsubscribe(&tab.session);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(tab);
        }
    }

    /// Closes the browser, if it was started, and waits until it has
    /// exited and its profile is removed.
    pub async fn shutdown(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
        let browser = self.browser.lock().await.running.take();
        if let Some(b) = browser {
            b.close().await;
        }
    }

    /// The render itself, in `browser`, with the tab in `work` (opened if
    /// there is none).
    async fn render_in(
        &self,
        browser: &Arc<Browser>,
        work: &mut Work,
        doc: &Document<'_>,
    ) -> Result<String, Failure> {
        for tries in 1.. {
            if work.tab.is_some() {
                break;
            }
            match open_tab(browser, &self.opts.user_agent).await {
                Ok(tab) => work.tab = Some(tab),
                Err(Failure::Unresponsive) if tries < OPEN_TRIES => {
                    tracing::debug!("{}: a new tab did not answer; opening another", doc.url);
                }
                Err(e) => return Err(e),
            }
        }
        let Some(tab) = work.tab.as_mut() else {
            return Err(Failure::Page("no tab".into()));
        };
        let conn = &browser.conn;
        let session = tab.session.clone();
        let mut nav = Some(conn.send(
            Some(&session),
            "Page.navigate",
            json!({"url": doc.url.as_str()}),
        )?);
        let awaited = match &self.opts.wait {
            RenderWait::Load => "load",
            RenderWait::Idle => "networkIdle",
            RenderWait::Selector(_) => "DOMContentLoaded",
        };
        // Lifecycle events seen before the navigation's loader id is known.
        let mut early: Vec<(String, String)> = Vec::new();
        // The document whose lifecycle counts: ours, then any the page
        // navigates to by itself.
        let mut loader: Option<String> = None;
        let mut served = false;
        let mut reached = false;
        let mut probe: Option<oneshot::Receiver<Result<Value, CdpError>>> = None;
        let mut ticks = tokio::time::interval(POLL);
        loop {
            if reached {
                match &self.opts.wait {
                    RenderWait::Selector(_) => {}
                    _ => break,
                }
            }
            let polling = reached && probe.is_none();
            tokio::select! {
                r = reply(&mut nav) => {
                    nav = None;
                    let v = r?;
                    if let Some(e) = v.get("errorText").and_then(Value::as_str) {
                        return Err(Failure::Page(format!("the browser could not load the page: {e}")));
                    }
                    let Some(id) = v.get("loaderId").and_then(Value::as_str) else {
                        return Err(Failure::Page("the browser did not load a new document".into()));
                    };
                    reached = early.iter().any(|(l, n)| l == id && n == awaited);
                    loader = Some(id.to_owned());
                }
                ev = tab.events.recv() => {
                    let Some(ev) = ev else { return Err(CdpError::Gone.into()) };
                    tracing::trace!("{}: {}", doc.url, ev.to_string().chars().take(300).collect::<String>());
                    let p = &ev["params"];
                    match ev["method"].as_str().unwrap_or("") {
                        "Fetch.requestPaused" => {
                            let id = p["requestId"].clone();
                            if !served && p["resourceType"] == "Document" && p["frameId"] == tab.target.as_str() {
                                served = true;
                                conn.notify(Some(&session), "Fetch.fulfillRequest", doc.fulfil(id));
                            } else {
                                work.requests += 1;
                                conn.notify(Some(&session), "Fetch.continueRequest", json!({"requestId": id}));
                            }
                        }
                        // The page moved on by itself (a script set
                        // location): the new document is the one to wait for.
                        "Page.frameNavigated" if p["frame"]["id"] == tab.target.as_str() => {
                            let moved = p["frame"]["loaderId"].as_str();
                            if let (Some(ours), Some(moved)) = (&mut loader, moved)
                                && ours.as_str() != moved
                            {
                                *ours = moved.to_owned();
                                reached = false;
                            }
                        }
                        "Page.lifecycleEvent" if p["frameId"] == tab.target.as_str() => {
                            let (l, n) = (p["loaderId"].as_str().unwrap_or(""), p["name"].as_str().unwrap_or(""));
                            match &loader {
                                Some(ours) => reached = reached || (l == ours && n == awaited),
                                None => early.push((l.to_owned(), n.to_owned())),
                            }
                        }
                        // alert(), confirm(), prompt() and beforeunload
                        // would stop the page until someone answers.
                        "Page.javascriptDialogOpening" => {
                            conn.notify(Some(&session), "Page.handleJavaScriptDialog", json!({"accept": true}));
                        }
                        "Inspector.targetCrashed" => return Err(Failure::Crashed),
                        "Inspector.detached" => return Err(Failure::Page("the browser closed the tab".into())),
                        _ => {}
                    }
                }
                r = reply(&mut probe) => {
                    probe = None;
                    let v = r?;
                    if v.get("exceptionDetails").is_some() {
                        return Err(Failure::Page("the browser does not accept the --render-wait selector".into()));
                    }
                    if v["result"]["value"] == true {
                        break;
                    }
                }
                _ = ticks.tick(), if polling => {
                    if let RenderWait::Selector(css) = &self.opts.wait {
                        probe = Some(conn.send(Some(&session), "Runtime.evaluate", json!({
                            "expression": format!("!!document.querySelector({})", Value::from(css.as_str())),
                            "returnByValue": true,
                        }))?);
                    }
                }
            }
        }
        let dom = conn
            .call(
                Some(&session),
                "Runtime.evaluate",
                json!({"expression": "document.documentElement.outerHTML", "returnByValue": true}),
            )
            .await?;
        match dom["result"]["value"].as_str() {
            Some(html) => Ok(html.to_owned()),
            None => Err(Failure::Page("the rendered page has no document".into())),
        }
    }
}

/// The page's document as fetched.
struct Document<'a> {
    url: &'a Url,
    body: &'a [u8],
    content_type: Option<&'a str>,
    status: u16,
}

impl Document<'_> {
    /// `Fetch.fulfillRequest`'s parameters: the paused document request
    /// `id` answered with the fetched body.
    fn fulfil(&self, id: Value) -> Value {
        use base64::Engine;
        let status = if (200..300).contains(&self.status) {
            self.status
        } else {
            200
        };
        json!({
            "requestId": id,
            "responseCode": status,
            "responseHeaders": [
                {"name": "Content-Type", "value": self.content_type.unwrap_or("text/html")},
            ],
            "body": base64::engine::general_purpose::STANDARD.encode(self.body),
        })
    }
}

/// The reply `rx` will get; pending for ever when there is no `rx`.
async fn reply(
    rx: &mut Option<oneshot::Receiver<Result<Value, CdpError>>>,
) -> Result<Value, Failure> {
    match rx {
        Some(rx) => Ok(rx.await.unwrap_or(Err(CdpError::Gone))?),
        None => std::future::pending().await,
    }
}

/// Opens a tab in `browser`, attaches to it and sets it up: lifecycle
/// events, crash reports, and every request paused for us to answer or
/// let through.
async fn open_tab(browser: &Arc<Browser>, user_agent: &str) -> Result<Tab, Failure> {
    let conn = &browser.conn;
    let created = conn
        .call(None, "Target.createTarget", json!({"url": "about:blank"}))
        .await?;
    let target = created["targetId"].as_str().unwrap_or_default().to_owned();
    let attached = conn
        .call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )
        .await;
    let session = match attached {
        Ok(a) => a["sessionId"].as_str().unwrap_or_default().to_owned(),
        Err(e) => {
            conn.notify(None, "Target.closeTarget", json!({"targetId": target}));
            return Err(e.into());
        }
    };
    let tab = Tab {
        browser: browser.clone(),
        events: conn.subscribe(&session),
        target,
        session,
        uses: 0,
    };
    let sid = tab.session.clone();
    let s = Some(sid.as_str());
    let setup = [
        conn.send(s, "Page.enable", json!({})),
        conn.send(
            s,
            "Page.setLifecycleEventsEnabled",
            json!({"enabled": true}),
        ),
        conn.send(s, "Inspector.enable", json!({})),
        conn.send(
            s,
            "Emulation.setUserAgentOverride",
            json!({"userAgent": user_agent}),
        ),
        conn.send(
            s,
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*"}]}),
        ),
    ];
    let answered = tokio::time::timeout(SETUP, async {
        for step in setup {
            match step {
                Ok(rx) => rx.await.unwrap_or(Err(CdpError::Gone))?,
                Err(e) => return Err(e),
            };
        }
        Ok(())
    })
    .await;
    match answered {
        Ok(Ok(())) => Ok(tab),
        Ok(Err(e)) => {
            tab.close();
            Err(e.into())
        }
        Err(_) => {
            tab.close();
            Err(Failure::Unresponsive)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_wait_parses_keywords_and_selectors() {
        assert_eq!(RenderWait::parse("load"), Ok(RenderWait::Load));
        assert_eq!(RenderWait::parse("idle"), Ok(RenderWait::Idle));
        assert_eq!(
            RenderWait::parse("#app .item"),
            Ok(RenderWait::Selector("#app .item".into()))
        );
        assert!(RenderWait::parse("").is_err());
        assert!(RenderWait::parse("a[").is_err());
    }
}
