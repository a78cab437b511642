// The web app in a real browser (Chromium via playwright-core), against a live
// server with the demo community. Run by tests/web_browser.rs, which starts the
// server and stops/starts it when asked (a line `@@agora:stop` / `@@agora:start`
// on stdout, answered on stdin). Env: AGORA_URL, ADMIN_PASSWORD, CHROMIUM,
// SCREENSHOTS (a directory: save the README's screenshots there).
// Uses Node's test runner; each test fails on any console error in its pages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import { chromium, devices } from "playwright-core";
import { AgoraClient, login } from "../../js/dist/agora.js";

const URL_ = process.env.AGORA_URL || "http://127.0.0.1:8080";
const SHOTS = process.env.SCREENSHOTS;
const ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// ---- talking to the Rust side ------------------------------------------------------
const stdin = createInterface({ input: process.stdin });
const lines = [];
let lineWaiter = null;
stdin.on("line", (l) => {
  lines.push(l);
  lineWaiter?.();
});
async function control(cmd) {
  process.stdout.write(`@@agora:${cmd}\n`);
  while (!lines.length) await new Promise((r) => (lineWaiter = r));
  return lines.shift();
}

// ---- helpers -------------------------------------------------------------------------
let browser;
const sdks = [];
const tokens = {};
async function token(user) {
  tokens[user] ??= (await login(URL_, user, user === "admin" ? process.env.ADMIN_PASSWORD : "demo-password")).token;
  return tokens[user];
}
async function sdk(user) {
  const c = new AgoraClient({ url: URL_, token: await token(user), minBackoffMs: 50, maxBackoffMs: 400 });
  sdks.push(c);
  await c.connect();
  return c;
}
/** A browser context logged in as `user` (token put in localStorage), at `path`. */
async function open(user, { path = "/", device, loginForm = false, init } = {}) {
  const ctx = await browser.newContext(device ? { ...device } : { viewport: { width: 1280, height: 800 } });
  if (init) await ctx.addInitScript(init);
  if (!loginForm) {
    const t = await token(user);
    await ctx.addInitScript((t) => localStorage.getItem("agora.token") || localStorage.setItem("agora.token", t), t);
  }
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(URL_ + path);
  return { ctx, page, errors };
}
async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}
/** Whether the (last matching) element is fully inside the message pane's visible area. */
function inPane(page, selector) {
  return page
    .locator(selector)
    .last()
    .evaluate((el) => {
      const pane = document.querySelector(".messages");
      const r = el.getBoundingClientRect();
      const p = pane.getBoundingClientRect();
      return r.top >= p.top - 1 && r.bottom <= p.bottom + 1;
    });
}
function inViewport(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth && r.height > 0;
  }, selector);
}
/** Seqs of the messages on screen, in order. */
const seqs = (page) => page.$$eval("li.msg[data-seq]", (els) => els.map((e) => Number(e.dataset.seq)));
const msg = (text) => `li.msg:has-text(${JSON.stringify(text)})`;
async function send(page, text) {
  await page.fill("#composer-input", text);
  await page.press("#composer-input", "Enter");
}
const noErrors = (errors, ignore = []) => assert.deepEqual(errors.filter((e) => !ignore.some((re) => re.test(e))), [], "no console errors");

const ids = {};
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ARGS });
  const bob = await sdk("bob");
  for (const s of await bob.listStreams()) ids[s.name] = s.id;
});
after(async () => {
  for (const c of sdks) c.close();
  await browser?.close();
  stdin.close();
});

// ---- the tests ------------------------------------------------------------------------

test("two users chat live: messages, Markdown, typing, presence, unread badges, edit, status", async () => {
  const bobSdk = await sdk("bob");
  // Alice logs in with the form.
  const a = await open("alice", { loginForm: true });
  await a.page.fill("input[name=username]", "alice");
  await a.page.fill("input[name=password]", "demo-password");
  await a.page.click("button[type=submit]");
  await a.page.waitForURL(/\/c\/ch_/);
  assert.ok(a.page.url().endsWith(`/c/${ids.general}`), "opens #general");
  const b = await open("bob", { path: `/c/${ids.general}` });
  await b.page.waitForSelector("#composer-input");
  await a.page.waitForSelector("#composer-input");

  // presence: bob is online in alice's member list
  await a.page.click('button[aria-label^="Members"]');
  await a.page.waitForSelector('.members li[data-user="bob"] .dot.online');

  // typing, then a message with Markdown; the message ends the typing line
  await b.page.fill("#composer-input", "hel");
  await a.page.waitForSelector('.typing:has-text("Bob Okafor is typing")');
  await send(b.page, "hello **alice**, see https://example.com/docs and `code`");
  const m = a.page.locator(msg("see https://example.com/docs"));
  await m.waitFor();
  assert.equal(await m.locator("strong").textContent(), "alice");
  assert.equal(await m.locator("code").textContent(), "code");
  assert.equal(await m.locator("a").getAttribute("href"), "https://example.com/docs");
  assert.equal(await m.locator("a").getAttribute("target"), "_blank");
  await a.page.waitForFunction(() => !document.querySelector(".typing").textContent);

  // block Markdown: a quote, a list, a code block
  await b.page.fill("#composer-input", "> quoted line\n- first item\n- second item\n```\nlet x = 1;\n```");
  await b.page.press("#composer-input", "Enter");
  const blocks = a.page.locator(msg("quoted line"));
  await blocks.waitFor();
  assert.equal(await blocks.locator("blockquote").textContent(), "quoted line");
  assert.deepEqual(await blocks.locator("ul > li").allTextContents(), ["first item", "second item"]);
  assert.equal(await blocks.locator("pre > code").textContent(), "let x = 1;");

  // markup is text, never HTML
  await send(b.page, '<img src=x onerror="window.__xss=1"> <b>not bold</b>');
  await a.page.locator(msg("<b>not bold</b>")).waitFor();
  assert.equal(await a.page.locator(".messages img").count(), 0);
  assert.equal(await a.page.evaluate(() => window.__xss), undefined);

  // unread badges: a mention in #random while alice reads #general
  await bobSdk.post(ids.random, "cat pictures for @alice");
  const badge = a.page.locator(`a[data-stream="${ids.random}"] .badge`);
  await badge.filter({ hasText: "@1" }).waitFor();
  await a.page.waitForFunction(() => /^\(\d+\) /.test(document.title), null, { timeout: 5000 });
  await a.page.click(`a[data-stream="${ids.random}"]`);
  await a.page.locator(msg("cat pictures for")).waitFor();
  await badge.waitFor({ state: "detached" });
  await a.page.click(`a[data-stream="${ids.general}"]`);
  await a.page.waitForSelector("#composer-input");
  assert.equal(await badge.count(), 0, "#random was read while open");
  // back in #random after a new message there: it opens at that message's "new messages" line
  await bobSdk.post(ids.random, "one more for the road");
  await badge.filter({ hasText: "1" }).waitFor();
  await a.page.click(`a[data-stream="${ids.random}"]`);
  assert.match(await a.page.locator(".new-line + li.msg").textContent(), /one more for the road/);
  await a.page.click(`a[data-stream="${ids.general}"]`);
  await a.page.waitForSelector("#composer-input");
  await a.page.reload(); // the read marker reached the server
  await a.page.waitForSelector("#composer-input");
  assert.equal(await badge.count(), 0, "#random is still read after a reload");

  // @ autocomplete and the emoji picker
  await a.page.fill("#composer-input", "");
  await a.page.type("#composer-input", "thanks @bo");
  await a.page.waitForSelector('#composer-suggestions [role=option]:has-text("@bob")');
  await a.page.press("#composer-input", "Enter");
  assert.equal(await a.page.inputValue("#composer-input"), "thanks @bob ");
  await a.page.type("#composer-input", "in #gen");
  await a.page.waitForSelector('#composer-suggestions [role=option]:has-text("#general")');
  await a.page.keyboard.press("Tab");
  assert.equal(await a.page.inputValue("#composer-input"), "thanks @bob in #general ");
  // Picking a suggestion puts the caret after it in the next frame: let that frame pass, or
  // it can land between fill's select-all and its typing (seen on a loaded machine).
  await a.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  await a.page.fill("#composer-input", "thanks @bob ");
  await a.page.click('button[aria-label="Insert emoji"]');
  await a.page.click('.emoji-picker button[aria-label="thumbs up"]');
  assert.equal(await a.page.inputValue("#composer-input"), "thanks @bob 👍");
  await a.page.press("#composer-input", "Enter");
  await b.page.locator(`${msg("thanks @bob")} .mention.self`).waitFor();

  // inline edit of the last own message (Up in the empty composer)
  await a.page.press("#composer-input", "ArrowUp");
  await a.page.fill(".edit textarea", "thanks @bob 👍 (fixed)");
  await a.page.press(".edit textarea", "Enter");
  await b.page.locator(msg("(fixed)")).locator(".edited").waitFor();

  // own status: do not disturb shows to bob
  await b.page.click('button[aria-label^="Members"]');
  await a.page.selectOption("#status-select", "dnd");
  await b.page.waitForSelector('.members li[data-user="alice"] .dot.dnd');
  await a.page.selectOption("#status-select", "online");
  await b.page.waitForSelector('.members li[data-user="alice"] .dot.online');

  await a.page.click('button[aria-label^="Members"]');
  await a.page.waitForSelector('.members li[data-user="bob"]');
  await a.page.mouse.move(0, 0);
  await shot(a.page, "chat");
  noErrors(a.errors);
  noErrors(b.errors);
  await a.ctx.close();
  await b.ctx.close();
});

test("a long channel opens at the first unread message, keeps the newest in view, loads history without jumping", async () => {
  const bobSdk = await sdk("bob");
  const aliceSdk = await sdk("alice");
  const ch = await bobSdk.createChannel("long-history", { members: ["alice"] });
  const acks = await Promise.all(Array.from({ length: 300 }, (_, i) => bobSdk.post(ch.id, `line ${i}`)));
  await aliceSdk.markRead(ch.id, acks[279].seq); // 20 unread: line 280 .. line 299

  const { page, errors } = await open("alice", { path: `/c/${ch.id}` });
  await page.waitForSelector(".new-line");
  assert.ok(await inViewport(page, "#composer-input"), "the composer is on screen");
  assert.ok(await inPane(page, ".new-line"), "the new-messages line is in view");
  assert.ok(await inPane(page, msg("line 280")), "the first unread message is in view");
  const first = await page.$eval(".new-line + li.msg", (el) => el.textContent);
  assert.match(first, /line 280/);
  assert.ok(await page.$eval(".messages", (el) => el.scrollTop > 0), "not opened at the oldest message");
  await shot(page, "long-channel");

  // to the bottom, then live messages stay in view
  if (await page.locator("button.jump").isVisible()) await page.click("button.jump");
  for (let k = 0; k < 5; k++) {
    await bobSdk.post(ch.id, `live ${k}`);
    await page.locator(msg(`live ${k}`)).waitFor();
    await page.waitForFunction(() => {
      const p = document.querySelector(".messages");
      return p.scrollHeight - p.scrollTop - p.clientHeight < 2;
    });
    assert.ok(await inPane(page, "li.msg"), `the newest message is in view after live ${k}`);
  }

  // scrolled up: a live message does not move the view; "jump to latest" counts it
  await page.$eval(".messages", (el) => {
    el.scrollTop -= 500;
    el.dispatchEvent(new Event("scroll")); // as a reader's scroll would, before anything re-renders
  });
  await page.waitForSelector("button.jump");
  const before = await page.$eval(".messages", (el) => el.scrollTop);
  await bobSdk.post(ch.id, "while you were away");
  await page.locator("button.jump", { hasText: "1 new message" }).waitFor();
  assert.equal(await page.$eval(".messages", (el) => el.scrollTop), before, "the view did not move");
  await page.click("button.jump");
  await page.waitForSelector("button.jump", { state: "detached" });
  assert.ok(await inPane(page, msg("while you were away")));

  // history on scroll-up: the message at the top stays where it was
  for (let i = 0; i < 12 && !(await page.locator("li.start").count()); i++) {
    const n = (await seqs(page)).length;
    const anchor = await page.$eval(".messages", (pane) => {
      pane.scrollTop = 0;
      pane.dispatchEvent(new Event("scroll"));
      const row = pane.querySelector("li.msg[data-seq]");
      return { seq: row.dataset.seq, top: row.getBoundingClientRect().top };
    });
    await page.waitForFunction((n) => document.querySelectorAll("li.msg[data-seq]").length > n || document.querySelector("li.start"), n);
    await page.waitForSelector("li.loading", { state: "detached" });
    const top = await page.$eval(`li.msg[data-seq="${anchor.seq}"]`, (el) => el.getBoundingClientRect().top);
    assert.ok(Math.abs(top - anchor.top) <= 2, `older history did not move the view (${anchor.top} -> ${top})`);
  }
  const all = await seqs(page);
  assert.equal(await page.locator('li.msg:has-text("line ")').count(), 300, "every line once");
  assert.deepEqual(all, [...all].sort((x, y) => x - y), "in order");
  assert.equal(new Set(all).size, all.length, "no duplicates");
  noErrors(errors);
  await page.context().close();
});

test("phone width: one column, a drawer for the sidebar, read and post", async () => {
  const device = devices["Pixel 7"] || devices["Pixel 5"];
  const { page, errors, ctx } = await open("bob", { path: `/c/${ids.general}`, device });
  await page.waitForSelector("#composer-input");
  assert.equal(await page.locator("#sidebar").isVisible(), false, "the sidebar is a closed drawer");
  assert.ok(await inViewport(page, "#composer-input"), "the composer is on screen");
  const pane = await page.locator(".messages").boundingBox();
  assert.ok(pane.width >= device.viewport.width - 2 && pane.height > 200, "the message pane fills the width");
  assert.ok(await inPane(page, "li.msg"), "the newest message is in view");
  await page.fill("#composer-input", "posted from a phone");
  await page.tap('button[type=submit]:has-text("Send")');
  await page.locator('li.msg[data-seq]:has-text("posted from a phone")').waitFor();
  await page.waitForFunction(() => {
    const p = document.querySelector(".messages");
    return p.scrollHeight - p.scrollTop - p.clientHeight < 2;
  });
  assert.ok(await inPane(page, msg("posted from a phone")));
  await shot(page, "phone");
  await page.tap('button[aria-label="Open the menu"]');
  await page.locator("#sidebar").waitFor({ state: "visible" });
  await page.waitForTimeout(250); // the drawer's slide-in, for the screenshot
  await shot(page, "phone-drawer");
  await page.tap(`a[data-stream="${ids.help}"]`);
  await page.waitForURL(`**/c/${ids.help}`);
  await page.locator("#sidebar").waitFor({ state: "hidden" });
  await page.locator(msg("mark_read op")).waitFor();
  noErrors(errors);
  await ctx.close();
});

test("after a server restart the app resumes with no gap or duplicate, and sends what was written offline", async () => {
  const bobSdk = await sdk("bob");
  const { page, errors, ctx } = await open("alice", { path: `/c/${ids.general}` });
  await page.waitForSelector("#composer-input");
  await bobSdk.post(ids.general, "before the restart");
  await page.locator(msg("before the restart")).waitFor();

  assert.equal(await control("stop"), "stopped");
  await page.waitForSelector('.banner.info:has-text("Reconnecting")');
  await send(page, "written while the server was down");
  await page.locator('li.msg.pending:has-text("written while the server was down")').waitFor();
  const posts = Array.from({ length: 5 }, (_, i) => bobSdk.post(ids.general, `after the restart ${i}`));
  assert.equal(await control("start"), "started");
  await Promise.all(posts);

  for (let i = 0; i < 5; i++) await page.locator(msg(`after the restart ${i}`)).waitFor({ timeout: 15000 });
  await page.locator('li.msg[data-seq]:has-text("written while the server was down")').waitFor({ timeout: 15000 });
  await page.waitForSelector("li.msg.pending", { state: "detached" });
  await page.waitForSelector(".banner.info", { state: "detached" });
  const all = await seqs(page);
  assert.equal(new Set(all).size, all.length, "no duplicate on screen");
  assert.deepEqual(all, [...all].sort((x, y) => x - y), "in order");
  for (const t of ["before the restart", "written while the server was down", ...Array.from({ length: 5 }, (_, i) => `after the restart ${i}`)]) {
    assert.equal(await page.locator(msg(t)).count(), 1, `"${t}" once`);
  }
  // no gap: every message and notice between the first and the last shown is on screen
  const lo = Math.min(...all);
  const hist = await bobSdk.history(ids.general, { after: lo - 1, limit: 200 });
  const shown = new Set(await page.$$eval("[data-seq]", (els) => els.map((e) => Number(e.dataset.seq))));
  const visibleTypes = ["message_posted", "tombstone", "stream_created", "stream_renamed", "topic_set", "member_joined", "member_left", "member_invited"];
  const missing = hist.events.filter((e) => visibleTypes.includes(e.type) && !shown.has(e.seq)).map((e) => e.seq);
  assert.deepEqual(missing, [], "no gap");
  noErrors(errors, [/WebSocket connection to .* failed/, /ERR_CONNECTION_REFUSED/, /Failed to load resource/]);
  await ctx.close();
});

test("installable: manifest, icons, and an offline shell from the service worker", async () => {
  const { page, errors, ctx } = await open("alice", { path: `/c/${ids.general}` });
  await page.waitForSelector("#composer-input");
  const manifest = await (await page.request.get(`${URL_}/manifest.webmanifest`)).json();
  assert.equal(manifest.display, "standalone");
  for (const icon of manifest.icons) {
    const r = await page.request.get(URL_ + icon.src);
    assert.equal(r.status(), 200, icon.src);
    assert.equal(r.headers()["content-type"], icon.type);
  }
  await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => true));
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  await ctx.setOffline(true);
  await page.reload();
  await page.waitForSelector("main.splash, .shell");
  await ctx.setOffline(false);
  await page.waitForSelector("#composer-input", { timeout: 15000 });
  noErrors(errors, [/WebSocket connection to .* failed/, /ERR_INTERNET_DISCONNECTED/, /Failed to load resource/]);
  await ctx.close();
});

test("the shell by role: admin manages users, roles, suspensions and bot tokens; routes reload", async () => {
  const { page, errors, ctx } = await open("admin", { path: "/admin" });
  await page.waitForSelector("table.users");
  assert.deepEqual(await page.locator("nav.sections a").allTextContents(), ["Chat", "Forum", "Desk", "Wiki", "Admin", "Review", "Audit log"]);
  await page.fill("input[name=username]", "helpbot");
  await page.fill("input[name=display_name]", "Help Bot");
  await page.selectOption("select[name=role]", "bot");
  await page.click('button:has-text("Create user")');
  await page.waitForSelector('tr[data-user="helpbot"]:has-text("bot")');
  await page.click('tr[data-user="helpbot"] button:has-text("New API token")');
  const tok = await page.locator(".token-box input").inputValue();
  assert.match(tok, /^agb_/);
  const me = await fetch(`${URL_}/api/v1/me`, { headers: { authorization: `Bearer ${tok}` } }).then((r) => r.json());
  assert.equal(me.user.id, "helpbot", "the token works");
  await shot(page, "admin");

  // Suspend and unsuspend: the account's login is refused meanwhile.
  const loginStatus = (user) =>
    fetch(`${URL_}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: user, password: "demo-password" }) }).then((r) => r.status);
  await page.click('button[aria-label="Suspend dave"]');
  await page.waitForSelector('tr[data-user="dave"] .suspended');
  assert.equal(await loginStatus("dave"), 403, "a suspended account cannot log in");
  await page.click('button[aria-label="Unsuspend dave"]');
  await page.waitForSelector('button[aria-label="Suspend dave"]');
  assert.equal(await loginStatus("dave"), 200);
  // A role change, and back.
  await page.selectOption('select[aria-label="Role of dave"]', "moderator");
  await page.locator("text=dave is now moderator.").waitFor();
  const users = await fetch(`${URL_}/api/v1/users`, { headers: { authorization: `Bearer ${await token("admin")}` } }).then((r) => r.json());
  assert.equal(users.users.find((u) => u.id === "dave").role, "moderator");
  await page.selectOption('select[aria-label="Role of dave"]', "agent");
  await page.locator("text=dave is now agent.").waitFor();

  await page.click('nav.sections a:has-text("Forum")');
  await page.waitForURL("**/forum");
  await page.locator("a.thread-title", { hasText: "Welcome to the forum" }).waitFor();
  await page.reload();
  await page.locator("a.thread-title", { hasText: "Welcome to the forum" }).waitFor();
  await page.goto(`${URL_}/desk/queue`);
  await page.locator("table.tickets").waitFor();
  await page.goto(`${URL_}/wiki/Home`);
  await page.locator("text=This page does not exist yet.").waitFor();
  noErrors(errors);
  await ctx.close();

  const alice = await open("alice", { path: "/forum" });
  await alice.page.locator("a.thread-title", { hasText: "Welcome to the forum" }).waitFor();
  assert.deepEqual(await alice.page.locator("nav.sections a").allTextContents(), ["Chat", "Forum", "Wiki"]);
  await alice.page.click('button[aria-label="Browse and create channels"]');
  await alice.page.locator("dialog .browser-list").waitFor();
  await shot(alice.page, "channels");
  await alice.page.keyboard.press("Escape");
  await alice.page.locator("dialog").waitFor({ state: "detached" });
  noErrors(alice.errors);
  await alice.ctx.close();
});

test("accessible: named controls, keyboard only, and text contrast of at least 4.5:1", async () => {
  const { page, errors, ctx } = await open("alice", { path: `/c/${ids.general}` });
  await page.waitForSelector("#composer-input");
  await page.click('button[aria-label^="Members"]');
  const unnamed = await page.evaluate(() => {
    const name = (el) =>
      el.getAttribute("aria-label") ||
      (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) ||
      el.closest("label")?.textContent ||
      el.textContent ||
      el.getAttribute("title") ||
      "";
    return [...document.querySelectorAll("button, a[href], input, select, textarea, [tabindex], [role=img]")].filter((el) => !name(el).trim()).map((el) => el.outerHTML.slice(0, 100));
  });
  assert.deepEqual(unnamed, [], "every control has an accessible name");

  // keyboard only: the skip link comes first and leads to the content; Tab reaches the composer; Enter sends
  const firstFocusable = await page.evaluate(() => document.querySelector("a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])").className);
  assert.equal(firstFocusable, "skip", "the skip link is first in the tab order");
  await page.focus(".skip");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main-content", "the skip link moves focus to the content");
  const tabTo = async (what) => {
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(what)) return true;
    }
    return false;
  };
  assert.ok(await tabTo(() => document.activeElement.getAttribute("aria-label") === "Reply"), "Tab reaches a message's actions");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".replying");
  // Focus moves once the reply bar has rendered: wait for it (bounded), then check.
  await page.waitForFunction(() => document.activeElement?.id === "composer-input", null, { timeout: 5000 }).catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement.id), "composer-input", "replying moves focus to the composer");
  await page.keyboard.type("sent with the keyboard only");
  await page.keyboard.press("Enter");
  await page.locator('li.msg[data-seq]:has-text("sent with the keyboard only") .reply-ref').waitFor();
  await page.focus(".skip");
  assert.ok(await tabTo(() => document.activeElement.id === "composer-input"), "Tab reaches the composer");

  // contrast of every piece of visible text against its background (WCAG AA: 4.5:1, 3:1 for large text)
  const low = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || !el.checkVisibility?.() || el.closest(".sr-only, .skip, [aria-hidden=true]")) continue;
      const s = getComputedStyle(el);
      if (Number(s.opacity) < 1 || el.closest(".pending, button:disabled")) continue;
      const [a, b] = [lum(rgb(s.color).slice(0, 3)), lum(bg(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${ratio.toFixed(2)} ${el.tagName}.${el.className} (${s.color} on ${bg(el)}): ${n.textContent.trim().slice(0, 30)}`);
    }
    return out;
  });
  assert.deepEqual(low, [], "text contrast");
  noErrors(errors);
  await ctx.close();
});

test("desktop notifications for mentions and DMs while hidden; unread in title and favicon; joining from the channel browser", async () => {
  const bobSdk = await sdk("bob");
  // A stand-in for the Notification API (granted) and a page we can hide.
  const init = () => {
    window.__notes = [];
    window.__hidden = false;
    Object.defineProperty(document, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
    window.Notification = class {
      static permission = "granted";
      static requestPermission() {
        return Promise.resolve("granted");
      }
      constructor(title, o) {
        window.__notes.push({ title, body: o.body });
      }
      close() {}
    };
  };
  const { page, errors, ctx } = await open("dave", { path: `/c/${ids.general}`, init });
  await page.waitForSelector("#composer-input");
  assert.deepEqual(await page.locator("nav.sections a").allTextContents(), ["Chat", "Forum", "Desk", "Wiki"], "an agent sees the desk");
  await page.evaluate(() => (window.__hidden = true));
  const title0 = await page.title();
  await bobSdk.post(ids.general, "@dave can you look at the desk?");
  await page.waitForFunction(() => window.__notes.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__notes[0]), { title: "Bob Okafor in #general", body: "@dave can you look at the desk?" });
  await bobSdk.post(ids.general, "no mention here");
  const dm = await bobSdk.openDm(["dave"]);
  await bobSdk.post(dm.id, "a private question");
  await page.waitForFunction(() => window.__notes.length === 2);
  assert.equal(await page.evaluate(() => window.__notes[1].title), "Bob Okafor", "a DM notifies; a plain message does not");
  assert.notEqual(await page.title(), title0);
  assert.match(await page.title(), /^\(\d+\) #general · agora$/);
  assert.match(await page.getAttribute("link[rel=icon]", "href"), /circle/, "the favicon has a dot");
  await page.evaluate(() => (window.__hidden = false));

  // dave is not in #random: the channel browser offers to join it
  await page.click('button[aria-label="Browse and create channels"]');
  await page.locator(".browser-list li", { hasText: "#random" }).locator('button:has-text("Join")').click();
  await page.waitForURL(`**/c/${ids.random}`);
  await page.waitForSelector("#composer-input");
  await send(page, "hello from dave");
  await page.locator('li.msg[data-seq]:has-text("hello from dave")').waitFor();
  noErrors(errors);
  await ctx.close();
});

test("channel settings: create a private channel, rename it, set its topic, add someone, leave it", async () => {
  const { page, errors, ctx } = await open("carol", { path: `/c/${ids.general}` });
  await page.waitForSelector("#composer-input");
  // an error shows where the user looks: under the composer, and the text is kept
  await send(page, "x".repeat(4001));
  await page.locator('.composer .error[role=alert]:has-text("the limit is 4000")').waitFor();
  assert.equal((await page.inputValue("#composer-input")).length, 4001);
  await page.fill("#composer-input", "");
  await page.click('button[aria-label="Browse and create channels"]');
  await page.fill("dialog form.create input[name=name]", "general");
  await page.click('dialog button:has-text("Create channel")');
  await page.locator("dialog .error[role=alert]").waitFor(); // the name is taken: said in the dialog
  await page.fill("dialog form.create input[name=name]", "secret-plans");
  await page.check("dialog form.create input[name=private]");
  await page.click('dialog button:has-text("Create channel")');
  await page.waitForSelector('h1#stream-title:has-text("secret-plans")');
  await page.click('button[aria-label="Channel settings"]');
  await page.fill("dialog input[name=name]", "secret-plans-2");
  await page.fill("dialog input[name=topic]", "Only the two of us");
  await page.selectOption("dialog select[name=invite]", "dave");
  await page.click('dialog button:has-text("Save")');
  await page.waitForSelector('h1#stream-title:has-text("secret-plans-2")');
  await page.waitForSelector('.topic:has-text("Only the two of us")');
  await page.locator("li.notice", { hasText: "added Dave (support)" }).waitFor();
  await page.click('button[aria-label="Channel settings"]');
  await page.click('dialog button:has-text("Leave channel")');
  await page.waitForFunction(() => !document.querySelector("#channels").textContent.includes("secret-plans"));
  await page.waitForURL(`**/c/${ids.general}`);
  noErrors(errors);
  await ctx.close();
});

test("a moderator hides a message: it leaves members' screens at once and after a reload; unhide brings it back", async () => {
  const bob = await sdk("bob");
  const text = `hide me ${Date.now()}`;
  const a = await open("alice", { path: `/c/${ids.general}` });
  const c = await open("carol", { path: `/c/${ids.general}` });
  await a.page.waitForSelector("#composer-input");
  await c.page.waitForSelector("#composer-input");
  await bob.post(ids.general, text);
  await a.page.locator(msg(text)).waitFor();
  const m = c.page.locator(msg(text));
  await m.hover();
  await m.locator('button[aria-label="Hide from members"]').click();
  await c.page.fill('form[aria-label="Hide this message from members?"] input', "spoiler");
  await c.page.click('form[aria-label="Hide this message from members?"] button:has-text("Hide")');
  // The member: the message goes, a notice says why; the moderator keeps it, marked.
  await a.page.locator("li.notice", { hasText: "hid a message by" }).last().waitFor();
  await a.page.waitForFunction((t) => ![...document.querySelectorAll("li.msg")].some((e) => e.textContent.includes(t)), text);
  await c.page.locator(msg(text)).locator("text=hidden by a moderator").waitFor();
  await a.page.reload();
  await a.page.locator("li.notice", { hasText: "hid a message by" }).last().waitFor();
  assert.equal(await a.page.locator(msg(text)).count(), 0, "not served again after a reload");
  await c.page.locator(msg(text)).hover();
  await c.page.locator(msg(text)).locator('button[aria-label="Unhide"]').click();
  await a.page.locator(msg(text)).waitFor();
  noErrors(a.errors);
  noErrors(c.errors);
  await a.ctx.close();
  await c.ctx.close();
});

test("an attachment uploads and shows to another member but not to an outsider", async () => {
  // A private channel of alice and bob; dave is not in it.
  const alice = await sdk("alice");
  const ch = (await alice.createChannel(`files-${Date.now()}`, { private: true, members: ["bob"] })).id;
  const a = await open("alice", { path: `/c/${ch}` });
  const b = await open("bob", { path: `/c/${ch}` });
  await a.page.waitForSelector("#composer-input");
  await b.page.waitForSelector("#composer-input");
  // A 320 x 200 PNG, drawn by the browser.
  const png = Buffer.from(
    await a.page.evaluate(async () => {
      const c = new OffscreenCanvas(320, 200);
      const g = c.getContext("2d");
      const grad = g.createLinearGradient(0, 0, 320, 200);
      grad.addColorStop(0, "#0b5cad");
      grad.addColorStop(1, "#1a7f37");
      g.fillStyle = grad;
      g.fillRect(0, 0, 320, 200);
      g.fillStyle = "#ffffff";
      g.font = "bold 36px sans-serif";
      g.fillText("release plan", 40, 112);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
      let s = "";
      for (const x of bytes) s += String.fromCharCode(x);
      return btoa(s);
    }),
    "base64",
  );

  // The attach button (a file picker), with upload progress then the file's size.
  await a.page.setInputFiles("#attach-input", { name: "dot.png", mimeType: "image/png", buffer: png });
  await a.page.locator('.uploads li:has-text("dot.png") .file-size').waitFor();
  // Drag and drop onto the pane: a text file, and a type that is refused where the user looks.
  await a.page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["meeting notes\n"], "notes.txt", { type: "text/plain" }));
    dt.items.add(new File(["<p>hi</p>"], "page.html", { type: "text/html" }));
    const chat = document.querySelector("section.chat");
    chat.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    chat.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await a.page.locator('.uploads li:has-text("notes.txt") .file-size').waitFor();
  await a.page.locator('.uploads li.failed:has-text("page.html") .error[role=alert]:has-text("can be attached")').waitFor();
  await a.page.click('button[aria-label="Remove page.html"]');
  // Over the 10 MiB limit: refused with its reason, not as a lost connection.
  await a.page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(11 * 1024 * 1024)], "huge.zip", { type: "application/zip" }));
    const chat = document.querySelector("section.chat");
    chat.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await a.page.locator('.uploads li.failed:has-text("huge.zip") .error[role=alert]:has-text("too large")').waitFor();
  await a.page.click('button[aria-label="Remove huge.zip"]');
  // Paste into the text box.
  await a.page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["a,b\n1,2\n"], "table.csv", { type: "text/csv" }));
    document.querySelector("#composer-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await a.page.locator('.uploads li:has-text("table.csv") .file-size').waitFor();
  await send(a.page, "the plan, with a picture");
  await a.page.locator(".uploads").waitFor({ state: "detached" });

  // Bob sees the thumbnail (fetched with his token and decoded) and the file chip, live.
  const m = b.page.locator(msg("the plan, with a picture"));
  const img = m.locator(".att-image img");
  await img.waitFor();
  await b.page.waitForFunction((el) => el.complete && el.naturalWidth === 320, await img.elementHandle());
  await m.locator('.file-chip:has-text("notes.txt")').waitFor();
  await m.locator('.file-chip:has-text("table.csv")').waitFor();
  await shot(b.page, "attachments");
  await m.locator(".att-image").click();
  await b.page.locator("dialog img.lightbox").waitFor();
  await b.page.keyboard.press("Escape");
  await b.page.locator("dialog img.lightbox").waitFor({ state: "detached" });
  const posted = (await alice.history(ch, {})).events.find((e) => e.type === "message_posted");
  const hash = posted?.attachments?.find((f) => f.name === "dot.png")?.hash;
  assert.match(hash || "", /^[0-9a-f]{64}$/);
  const status = (page, t) => page.evaluate(([u, t]) => fetch(u, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status), [`${URL_}/api/v1/attachments/${hash}`, t]);
  assert.equal(await status(b.page, await token("bob")), 200);

  // Dave, not a member: the channel is not there for him, nor is the file.
  const d = await open("dave", { path: `/c/${ch}` });
  await d.page.locator('h1:has-text("Not found")').waitFor();
  assert.equal(await d.page.locator(".att-image, .file-chip").count(), 0);
  assert.equal(await status(d.page, await token("dave")), 404);
  noErrors(a.errors, [/415/, /413/]); // the refused page.html and huge.zip
  noErrors(b.errors);
  noErrors(d.errors, [/404/]);
  for (const x of [a, b, d]) await x.ctx.close();
});

test("the notification bell shows a mention live and marks it read; moderators have the review queue and the audit log", async () => {
  const bob = await sdk("bob");
  const text = `@alice bell ${Date.now()}`;
  const a = await open("alice", { path: `/c/${ids.general}` });
  await a.page.waitForSelector("#composer-input");
  await bob.post(ids.general, text);
  await a.page.locator('button.bell-btn [data-testid="feed-unread"]').waitFor();
  await a.page.click("button.bell-btn");
  await a.page.locator("#feed-panel li.unread", { hasText: text }).waitFor();
  await a.page.locator("#feed-panel li", { hasText: text }).locator("text=mentioned you").waitFor();
  await a.page.click('#feed-panel button:has-text("Mark all read")');
  await a.page.locator('[data-testid="feed-unread"]').waitFor({ state: "detached" });
  await a.page.locator("#feed-panel li.read", { hasText: text }).waitFor();
  assert.equal(await a.page.locator('nav.sections a[href="/audit"]').count(), 0, "members have no audit log");
  const c = await open("carol", { path: "/audit" });
  await c.page.locator("h1", { hasText: "Audit log" }).waitFor();
  await c.page.locator("table.audit-table").waitFor();
  await c.page.click('nav.sections a[href="/review"]');
  await c.page.locator("h1", { hasText: "Review queue" }).waitFor();
  noErrors(a.errors);
  noErrors(c.errors);
  await a.ctx.close();
  await c.ctx.close();
});

test("the forum: read a thread, reply quoting a post, like; another reader sees it live; a moderator hides a post and it leaves an open page; staff lock it in place", async () => {
  const a = await open("alice", { path: "/forum" });
  await a.page.locator("a.thread-title", { hasText: "Welcome to the forum" }).waitFor();
  const cats = (await a.page.locator("nav.categories a").allTextContents()).join(" | ");
  assert.ok(cats.includes("General") && !cats.includes("Staff") && !cats.includes("Support"), `a member sees only open categories: ${cats}`);
  await a.page.locator("a.thread-title", { hasText: "Welcome to the forum" }).click();
  await a.page.waitForURL("**/forum/t/**");
  await a.page.locator("li.post", { hasText: "Bob here" }).waitFor();
  assert.equal(await a.page.locator(".staff-tools").count(), 0, "no staff tools for a member");
  const thread = new URL(a.page.url()).pathname.split("/").pop();
  const b = await open("bob", { path: `/forum/t/${thread}` });
  await b.page.locator("li.post").first().locator("text=Introduce yourself").waitFor();

  const text = `Alice here, hello ${Date.now()}`;
  await a.page.locator("li.post").first().locator('button:has-text("Quote")').click();
  await a.page.fill(".reply textarea", text);
  await a.page.click('.reply button[type=submit]');
  await a.page.locator("li.post", { hasText: text }).waitFor();
  const live = b.page.locator("li.post", { hasText: text });
  await live.waitFor();
  await live.locator(".quote", { hasText: "Introduce yourself" }).waitFor();
  await live.locator('button[aria-label^="Like"]').click();
  await a.page.locator("li.post", { hasText: text }).locator('button[aria-label="Like (1)"]').waitFor();
  await shot(b.page, "forum-thread");

  const c = await open("carol", { path: `/forum/t/${thread}` });
  // A moderator hides Alice's reply: it leaves Bob's open page at once (and after a
  // reload); the moderator keeps it, marked; unhiding brings it back.
  const hidden = c.page.locator("li.post", { hasText: text });
  await hidden.locator('button[aria-label="Hide from members"]').click();
  await c.page.fill('form[aria-label="Hide this post from members?"] input', "off topic");
  await c.page.click('form[aria-label="Hide this post from members?"] button:has-text("Hide")');
  await hidden.locator(".hidden-note").waitFor();
  await b.page.waitForFunction((t) => ![...document.querySelectorAll("li.post")].some((e) => e.textContent.includes(t)), text);
  await b.page.reload();
  await b.page.locator("li.post").first().waitFor();
  assert.equal(await b.page.locator("li.post", { hasText: text }).count(), 0, "a hidden post is not served again after a reload");
  await hidden.locator('button[aria-label="Unhide"]').click();
  await b.page.locator("li.post", { hasText: text }).waitFor();

  await c.page.locator('.staff-tools button:has-text("Lock")').click();
  await a.page.locator("text=This thread is locked.").waitFor();
  await c.page.locator("li.small-action", { hasText: "lock" }).waitFor();
  await c.page.locator('.staff-tools button:has-text("Unlock")').click();
  await a.page.locator(".reply textarea").waitFor();
  for (const x of [a, b, c]) {
    noErrors(x.errors);
    await x.ctx.close();
  }
});

test("log out revokes the session on the server, not only in this browser", async () => {
  const { page, errors, ctx } = await open("dave", { loginForm: true });
  await page.fill("input[name=username]", "dave");
  await page.fill("input[name=password]", "demo-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("#composer-input");
  const t = await page.evaluate(() => localStorage.getItem("agora.token"));
  const me = () => fetch(`${URL_}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
  assert.equal(await me(), 200);
  await page.click('button:has-text("Log out")');
  await page.waitForURL("**/login");
  for (let i = 0; i < 50 && (await me()) === 200; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await me(), 401, "the token no longer works anywhere");
  noErrors(errors, [/401/]);
  await ctx.close();
});

test("the visitor widget: a visitor chats with an agent live, typing shows, an internal note never reaches the visitor, a reload resumes", async () => {
  const dave = await sdk("dave");
  await dave.request("set_agent_status", { status: "available", max_chats: 5 });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${URL_}/widget-demo.html`);
  await page.click(".agora-launcher");
  await page.locator(".agora-status:has-text('An agent will answer shortly')").waitFor();
  await page.fill(".agora-input", "Where is my order?");
  await page.click(".agora-send");
  await page.locator(".agora-line.mine:has-text('Where is my order?')").waitFor();

  // Routing gave it to dave, the only available agent.
  const mine = await dave.request("ticket_queue", { filter: { assignee: "me" } });
  const ticket = mine.tickets.find((t) => t.subject === "Where is my order?");
  assert.ok(ticket, "the visitor's ticket is assigned to dave");
  await dave.request("add_note", { stream: ticket.id, text: "secret: VIP customer" });
  await dave.request("post", { stream: ticket.id, text: "It ships today." });
  await page.locator(".agora-line.agent:has-text('It ships today.')").waitFor();
  await dave.typing(ticket.id);
  await page.locator(".agora-typing:has-text('typing')").waitFor();
  await shot(page, "widget");

  // A reload resumes the same conversation (no new ticket).
  await page.reload();
  await page.locator(".agora-line.agent:has-text('It ships today.')").waitFor();
  assert.equal(await page.locator(".agora-line").count(), 2);
  const again = await dave.request("ticket_queue", { filter: { assignee: "me" } });
  assert.equal(again.tickets.filter((t) => t.subject === "Where is my order?").length, 1);

  // The agent's desk: the note is marked as internal; a public reply reaches the visitor, a note does not.
  const agent = await open("dave", { path: `/desk/t/${ticket.id}` });
  await agent.page.locator(".ticket-lines li.note:has-text('secret: VIP customer')").waitFor();
  await agent.page.fill("#ticket-text", "Tracking number 123");
  await agent.page.click("button:has-text('Send reply')");
  await page.locator(".agora-line.agent:has-text('Tracking number 123')").waitFor();
  await agent.page.check("input[name=internal]");
  await agent.page.fill("#ticket-text", "note from the desk");
  await agent.page.click("button:has-text('Add note')");
  await agent.page.locator(".ticket-lines li.note:has-text('note from the desk')").waitFor();
  await shot(agent.page, "desk-ticket");
  await dave.request("post", { stream: ticket.id, text: "Anything else?" });
  await page.locator(".agora-line.agent:has-text('Anything else?')").waitFor();
  const visitorText = await page.locator("body").innerText();
  assert.ok(!visitorText.includes("secret") && !visitorText.includes("note from the desk"), visitorText);
  assert.equal(await page.locator(".agora-line").count(), 4);

  // The queue lists it with its status.
  await agent.page.goto(`${URL_}/desk`);
  await agent.page.locator(`tr[data-ticket="${ticket.id}"]:has-text("open")`).waitFor();
  // Live, without a reload (and without polling): a new ticket appears, with its SLA due time, and the count grows.
  const total = async () => Number((await agent.page.locator(".queue p[role=status]").innerText()).split(" ")[0]);
  const before = await total();
  const bob = await sdk("bob");
  const fresh = (await bob.request("open_ticket", { subject: "Live queue check", text: "hello desk" })).ticket;
  await agent.page.locator(`tr[data-ticket="${fresh.id}"] td.sla:has-text("due")`).waitFor();
  assert.equal(await total(), before + 1);
  // The manager's dashboard charts the real figures of today.
  await agent.page.click('nav.desk-tabs a:has-text("Dashboard")');
  await agent.page.locator('.chart[data-chart="tickets"] svg rect[data-field="created"]').last().waitFor();
  const created = Number(await agent.page.locator('.kpis div:has(dt:text-is("Created")) dd').innerText());
  assert.ok(created >= 1, `tickets created today: ${created}`);
  // Today's bars carry the real figures: the visitor's ticket is outstanding at the end of today.
  const today = async (chart, field) =>
    Number(await agent.page.locator(`.chart[data-chart="${chart}"] svg rect[data-field="${field}"]`).last().getAttribute("data-value"));
  assert.ok((await today("tickets", "created")) >= 1, "a bar for today's tickets");
  assert.ok((await today("backlog", "backlog")) >= 1, "the open ticket is outstanding at the end of today");
  const backlogTitle = await agent.page.locator('.chart[data-chart="backlog"] svg rect').last().locator("title").textContent();
  assert.match(backlogTitle, /: [1-9]\d* outstanding$/);
  await shot(agent.page, "desk-dashboard");
  noErrors(errors);
  noErrors(agent.errors);
  await agent.ctx.close();
  await ctx.close();
});

test("desk settings: an admin adds a custom status on the settings screen and agents can use it at once", async () => {
  const { page, errors, ctx } = await open("admin", { path: "/desk/settings" });
  await page.locator("form.desk-settings").waitFor();
  await page.click('button:has-text("Add a status")');
  await page.locator('input[name="status-name"]').last().fill("Waiting for parts");
  await page.locator('select[name="status-category"]').last().selectOption("on_hold");
  await page.click('button:has-text("Save settings")');
  await page.locator('form.desk-settings [role=status]:has-text("Saved")').waitFor();
  await shot(page, "desk-settings");
  const dave = await sdk("dave");
  const s = await dave.request("desk_settings", {});
  assert.ok(s.settings.statuses.some((x) => x.name === "Waiting for parts" && x.category === "on_hold"), JSON.stringify(s));
  const t = await (await sdk("alice")).request("open_ticket", { subject: "parts", text: "my part is missing" });
  await dave.request("update_ticket", { stream: t.ticket.id, version: t.ticket.version, changes: { custom_status: "Waiting for parts" } });
  const info = await dave.request("ticket_info", { stream: t.ticket.id });
  assert.equal(info.ticket.status, "on_hold");
  assert.equal(info.ticket.custom_status, "Waiting for parts");
  noErrors(errors);
  await ctx.close();
});

test("wiki: an edit conflict is shown to the second editor with their text kept, and saving it wins; the Talk tab opens the page's thread", async () => {
  const alice = await sdk("alice");
  const created = await alice.request("wiki_save", { page: "Conflict Demo", text: "Opening hours: 9 to 5.\n\nWelcome.\n" });
  const bob = await open("bob", { path: "/wiki/conflict_demo/edit" });
  const { page } = bob;
  await page.waitForSelector("#wiki-text");
  // Alice has the page open for editing too: bob sees it.
  // (Repeated, as a client does while typing, until bob's subscription is in place.)
  for (let i = 0; !(await page.locator(".wiki-editing:has-text('is editing')").count()); i++) {
    assert.ok(i < 40, "bob sees that alice is editing");
    await alice.request("typing", { stream: created.stream });
    await page.waitForTimeout(250);
  }
  const bobs = "Opening hours: 8 to 6 (Bob).\n\nWelcome.\n";
  await page.fill("#wiki-text", bobs);
  // Alice saves the same line first.
  await alice.request("wiki_save", { page: "Conflict Demo", base: created.rev, text: "Opening hours: 10 to 4 (Alice).\n\nWelcome.\n" });
  await page.click('button:has-text("Save page")');
  await page.locator("#conflict-title").waitFor();
  assert.equal(await page.locator("#wiki-text").inputValue(), bobs, "bob's text is kept");
  assert.match(await page.locator("#wiki-current").inputValue(), /10 to 4 \(Alice\)/, "the current text is shown");
  assert.match(await page.locator(".wiki-hunks .yours").first().textContent(), /8 to 6/);
  assert.match(await page.locator(".wiki-hunks .current").first().textContent(), /10 to 4/);
  await shot(page, "wiki-conflict");
  await page.click('button:has-text("Save my text")');
  await page.waitForURL("**/wiki/conflict_demo");
  await page.locator(".wiki-body:has-text('8 to 6 (Bob)')").waitFor();
  // History shows three revisions; the diff between the last two marks the changed words.
  await page.click('nav.wiki-tabs a:has-text("History")');
  await page.locator(".wiki-history li").nth(2).waitFor();
  await page.locator(".wiki-history li").first().locator('a:has-text("prev")').click();
  await page.locator("table.wiki-diff tr.insert mark").first().waitFor();
  // The page's Talk tab opens its talk thread (created on first use) in the forum's thread view.
  await page.click('nav.wiki-tabs a:has-text("Talk")');
  await page.waitForURL("**/forum/t/**");
  await page.locator("#thread-title", { hasText: "Talk:Conflict Demo" }).waitFor();
  const reply = `Bob: why 8 to 6? ${Date.now()}`;
  await page.fill(".reply textarea", reply);
  await page.click(".reply button[type=submit]");
  await page.locator("li.post", { hasText: reply }).waitFor();
  // The same thread for alice, linked back to its page.
  const talk = await alice.request("wiki_talk", { page: "Conflict Demo" });
  assert.equal(talk.created, false, "opened once");
  assert.ok(page.url().endsWith(`/forum/t/${talk.thread}`), page.url());
  await page.click("a.talk-page");
  await page.waitForURL("**/wiki/conflict_demo");
  noErrors(bob.errors);
  await bob.ctx.close();
});
