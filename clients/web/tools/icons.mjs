// Renders the PWA's PNG icons (public/icon-192.png, icon-512.png) with Chromium.
// Run once after changing the logo: node clients/web/tools/icons.mjs
// (full-bleed background, logo inside the central 80% so it also works as a maskable icon)
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../public/", import.meta.url));
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#0b5cad"/><g transform="translate(6.4 6.4) scale(0.8)"><path d="M17 46V29a15 15 0 0 1 30 0v17h-8V29a7 7 0 0 0-14 0v17z" fill="#fff"/></g></svg>`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--headless", "--disable-gpu"] });
for (const size of [192, 512]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0">${svg.replace("<svg ", `<svg width="${size}" height="${size}" `)}</body></html>`);
  await page.screenshot({ path: `${out}icon-${size}.png`, omitBackground: false });
  await page.close();
}
await browser.close();
