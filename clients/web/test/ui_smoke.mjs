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
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
const must = (cond, what) => { if (!cond) throw new Error(`ui smoke: ${what}`); };
try {
{
const page = await browser.newPage();
page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
page.on("dialog", (d) => d.accept());
await page.goto(URL_ + "/");
await page.fill("input[name=username]", "alice");
await page.fill("input[name=password]", "demo-password");
await page.click("#login-form button[type=submit]");
await page.waitForSelector("#chat:not([hidden])");
await page.waitForFunction(() => document.querySelector("#stream-name").textContent.includes("general"));
must(!(await page.isHidden("#stream-settings")), "the settings button shows for a member of #general");
await page.click("#stream-settings");
await page.waitForSelector("#settings-dialog[open]");
const invitable = await page.$$eval("#invite-users input", (xs) => xs.map((x) => x.value));
console.log("invitable:", invitable);
await page.fill("#settings-form input[name=topic]", "Topic set from the UI");
await page.fill("#settings-form input[name=name]", "general-renamed");
await page.click("#settings-form button[value=ok]");
await page.waitForFunction(() => document.querySelector("#stream-topic").textContent === "Topic set from the UI", null, { timeout: 5000 });
await page.waitForFunction(() => document.querySelector("#stream-name").textContent.includes("general-renamed"), null, { timeout: 5000 });
console.log("after save:", await page.textContent("#stream-name"), "|", await page.textContent("#stream-topic"));
// Leave the (public) channel: the join bar appears, the composer hides.
await page.click("#stream-settings");
await page.waitForSelector("#settings-dialog[open]");
await page.click("#leave-channel");
await page.waitForSelector("#join-bar:not([hidden])", { timeout: 5000 });
must(await page.isHidden("#composer") && await page.isHidden("#stream-settings"), "after leaving, no composer and no settings");
// Join back via the bar.
await page.click("#join");
await page.waitForSelector("#composer:not([hidden])", { timeout: 5000 });
must(!(await page.isHidden("#stream-settings")), "after rejoining, settings again");

}
{
const page = await browser.newPage();
page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
page.on("dialog", (d) => d.accept());
await page.goto(URL_ + "/");
await page.fill("input[name=username]", "alice");
await page.fill("input[name=password]", "demo-password");
await page.click("#login-form button[type=submit]");
await page.waitForSelector("#chat:not([hidden])");
await page.click("#new-channel");
await page.fill("#channel-form input[name=name]", "secret-plans");
await page.check("#channel-form input[name=private]");
await page.click("#channel-form button[value=ok]");
await page.waitForFunction(() => document.querySelector("#stream-name").textContent.includes("secret-plans"));
await page.click("#stream-settings");
await page.waitForSelector("#settings-dialog[open]");
must((await page.$$eval("#invite-users input", (xs) => xs.map((x) => x.value))).includes("bob"), "bob is invitable to the new private channel");
await page.check("#invite-users input[value=bob]");
await page.click("#settings-form button[value=ok]");
await page.waitForFunction(() => [...document.querySelectorAll("#member-list li")].some((li) => li.textContent.includes("Bob") || li.textContent.includes("bob")), null, { timeout: 5000 });
console.log("members:", await page.$$eval("#member-list li", (xs) => xs.map((x) => x.textContent)));
// Leave the private channel: it disappears from the sidebar.
await page.click("#stream-settings");
await page.waitForSelector("#settings-dialog[open]");
await page.click("#leave-channel");
await page.waitForFunction(() => !document.querySelector("#stream-name").textContent.includes("secret-plans"), null, { timeout: 5000 });
must(!(await page.textContent("#channels")).includes("secret-plans"), "a private channel left is gone from the sidebar");

}
console.log("ui smoke: all steps passed");
} finally {
  await browser.close();
}
