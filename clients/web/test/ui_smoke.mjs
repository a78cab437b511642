// UI smoke check of the web app in headless Chromium (not run by CI: it needs
// Chromium and playwright-core, which the CI image lacks). Against a fresh
// `agora serve --demo` (demo users, password demo-password):
//
//   npm install --prefix /tmp/pw playwright-core@1    # once; Debian: apt-get install chromium
//   NODE_PATH=/tmp/pw/node_modules AGORA_URL=http://127.0.0.1:8080 node clients/web/test/ui_smoke.mjs
//
// It logs in as alice, renames #general and sets its topic through the channel
// settings dialog, leaves and rejoins it, creates a private channel, invites bob,
// and leaves it (it must vanish from the sidebar). Exit 0 when all of that worked.
import { createRequire } from "module";
const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const URL_ = process.env.AGORA_URL || "http://127.0.0.1:8080";
const must = (cond, what) => { if (!cond) throw new Error(`ui smoke: ${what}`); };
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
  page.on("dialog", (d) => d.accept()); // the "Leave …?" confirm
  const openSettings = async () => {
    await page.click("#stream-settings");
    await page.waitForSelector("#settings-dialog[open]");
  };
  const nameIs = (text) => page.waitForFunction((t) => document.querySelector("#stream-name").textContent.includes(t), text, { timeout: 5000 });

  await page.goto(URL_ + "/");
  await page.fill("input[name=username]", "alice");
  await page.fill("input[name=password]", "demo-password");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#chat:not([hidden])");
  await nameIs("general");
  must(!(await page.isHidden("#stream-settings")), "the settings button shows for a member of #general");

  // Rename #general and set its topic.
  await openSettings();
  await page.fill("#settings-form input[name=topic]", "Topic set from the UI");
  await page.fill("#settings-form input[name=name]", "general-renamed");
  await page.click("#settings-form button[value=ok]");
  await page.waitForFunction(() => document.querySelector("#stream-topic").textContent === "Topic set from the UI", null, { timeout: 5000 });
  await nameIs("general-renamed");

  // Leave the (public) channel: the join bar appears, the composer hides; then join back.
  await openSettings();
  await page.click("#leave-channel");
  await page.waitForSelector("#join-bar:not([hidden])", { timeout: 5000 });
  must(await page.isHidden("#composer") && await page.isHidden("#stream-settings"), "after leaving, no composer and no settings");
  await page.click("#join");
  await page.waitForSelector("#composer:not([hidden])", { timeout: 5000 });
  must(!(await page.isHidden("#stream-settings")), "after rejoining, settings again");

  // A private channel: invite bob, then leave it; it disappears from the sidebar.
  await page.click("#new-channel");
  await page.fill("#channel-form input[name=name]", "secret-plans");
  await page.check("#channel-form input[name=private]");
  await page.click("#channel-form button[value=ok]");
  await nameIs("secret-plans");
  await openSettings();
  must((await page.$$eval("#invite-users input", (xs) => xs.map((x) => x.value))).includes("bob"), "bob is invitable to the new private channel");
  await page.check("#invite-users input[value=bob]");
  await page.click("#settings-form button[value=ok]");
  await page.waitForFunction(() => [...document.querySelectorAll("#member-list li")].some((li) => li.textContent.includes("Bob") || li.textContent.includes("bob")), null, { timeout: 5000 });
  await openSettings();
  await page.click("#leave-channel");
  await page.waitForFunction(() => !document.querySelector("#stream-name").textContent.includes("secret-plans"), null, { timeout: 5000 });
  must(!(await page.textContent("#channels")).includes("secret-plans"), "a private channel left is gone from the sidebar");

  console.log("ui smoke: all steps passed");
} finally {
  await browser.close();
}
